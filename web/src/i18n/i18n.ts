// The room's language: one message catalogue per language (en is the reference), chosen from `lang`
// on the join link, else the browser's languages, else English. Right-to-left languages set
// dir="rtl" on the page (the CSS uses logical properties). Dates and times are formatted with
// Intl in the person's locale and time zone, and the zone is shown.
import { ar } from './ar.ts';
import { en, type MessageKey } from './en.ts';
import { es } from './es.ts';

export type { MessageKey };
export type Catalogue = Partial<Record<MessageKey, string>>;

export const CATALOGUES: Record<string, Catalogue> = { en, es, ar };
export const LANGUAGES = Object.keys(CATALOGUES);
const RTL = new Set(['ar', 'he', 'fa', 'ur']);

let current = 'en';
let timeZone: string | undefined;

/** The first supported language among the link's `lang` and the browser's (base tags: es-MX → es). */
export function chooseLanguage(langParam: string | null | undefined, browser: readonly string[] = []): string {
  for (const tag of [langParam, ...browser]) {
    if (!tag || typeof tag !== 'string') continue;
    const base = tag.trim().toLowerCase().split(/[-_]/)[0]!;
    if (Object.hasOwn(CATALOGUES, base)) return base;
  }
  return 'en';
}

export function setLanguage(lang: string, zone?: string): void {
  current = Object.hasOwn(CATALOGUES, lang) ? lang : 'en';
  timeZone = zone;
}

export function language(): string {
  return current;
}

export function isRtl(lang = current): boolean {
  return RTL.has(lang);
}

/** Puts the language and direction on <html> (screen readers, fonts, layout direction). */
export function applyLanguage(doc: Document = document): void {
  doc.documentElement.lang = current;
  doc.documentElement.dir = isRtl() ? 'rtl' : 'ltr';
}

/** The message for `key` in the current language (English when missing), with {name} filled in. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  const text = CATALOGUES[current]?.[key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (m: string, name: string) => (Object.hasOwn(vars, name) ? formatVar(vars[name]!) : m));
}

function formatVar(v: string | number): string {
  return typeof v === 'number' ? new Intl.NumberFormat(current).format(v) : v;
}

const opts = (o: Intl.DateTimeFormatOptions): Intl.DateTimeFormatOptions => (timeZone ? { ...o, timeZone } : o);

/** "14:05" / "2:05 PM" in the person's locale and zone. */
export function formatClock(d: Date | string): string {
  return new Intl.DateTimeFormat(current, opts({ hour: '2-digit', minute: '2-digit' })).format(new Date(d));
}

/** "Tue, Dec 8". */
export function formatDay(d: Date | string): string {
  return new Intl.DateTimeFormat(current, opts({ weekday: 'short', month: 'short', day: 'numeric' })).format(new Date(d));
}

/** The zone's short name at that moment ("CET", "GMT+1"), shown next to scheduled times. */
export function formatZone(d: Date | string = new Date()): string {
  const parts = new Intl.DateTimeFormat(current, opts({ timeZoneName: 'short' })).formatToParts(new Date(d));
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
}

/** "14:05 CET". */
export function formatClockWithZone(d: Date | string): string {
  return `${formatClock(d)} ${formatZone(d)}`;
}

// Times and durations as people read them, in the person's language (i18n).
import { formatClock, formatDay, t } from '../i18n/i18n.ts';

export function clock(d: Date | string): string {
  return formatClock(d);
}

export function day(d: Date | string): string {
  return formatDay(d);
}

export function minutesBetween(a: string | Date, b: string | Date): number {
  return Math.round((new Date(b).getTime() - new Date(a).getTime()) / 60000);
}

/** 75 → "1:15", 3725 → "1:02:05". */
export function elapsed(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A countdown in words: "2 h 05 min", "4 min 09 s", "12 s". */
export function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return t('units.h_min', { h: String(h), m: String(m).padStart(2, '0') });
  if (m > 0) return t('units.min_s', { m: String(m), s: String(s % 60).padStart(2, '0') });
  return t('units.s', { s: String(s) });
}

/** 754 → "12 min 34 s", 3600 → "1 h 00 min". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return t('units.h_min', { h: String(Math.floor(s / 3600)), m: String(Math.floor((s % 3600) / 60)).padStart(2, '0') });
  if (s >= 60) return t('units.min_s', { m: String(Math.floor(s / 60)), s: String(s % 60).padStart(2, '0') });
  return t('units.s', { s: String(s) });
}

export function fileSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts[parts.length - 1]![0] ?? '') : '')).toUpperCase();
}

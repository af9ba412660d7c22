// What the marketplace configures per embed, through query parameters on the join link
// (`/session/<id>?accent=%230b7285&logo=https://…&dashboard_url=…#token=…`):
//   colours  accent, accent_text, bg, surface, text  (#rgb / #rrggbb only)
//   brand    logo (https URL, or http on localhost), brand (name shown next to it)
//   links    dashboard_url, book_url, course_url  (post-session actions; http(s) only)
//   theme    dark | light (base palette before the colours above)
// Values are validated: anything else is ignored, so a crafted link cannot inject CSS or script.
export interface PageConfig {
  theme: 'dark' | 'light';
  colors: Partial<Record<'accent' | 'accent_text' | 'bg' | 'surface' | 'text', string>>;
  logo: string | null;
  brand: string | null;
  links: { dashboard: string | null; book: string | null; course: string | null };
}

const COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
const COLOR_KEYS = ['accent', 'accent_text', 'bg', 'surface', 'text'] as const;

export function safeUrl(value: string | null, base: string): string | null {
  if (!value) return null;
  try {
    const u = new URL(value, base);
    if (u.protocol === 'https:') return u.href;
    if (u.protocol === 'http:') return u.href; // marketplaces on plain http (dev, intranets)
    return null;
  } catch {
    return null;
  }
}

export function readPageConfig(search: string, base: string): PageConfig {
  const q = new URLSearchParams(search);
  const colors: PageConfig['colors'] = {};
  for (const key of COLOR_KEYS) {
    const v = q.get(key);
    if (v && COLOR.test(v)) colors[key] = v;
  }
  const brand = q.get('brand');
  return {
    theme: q.get('theme') === 'light' ? 'light' : 'dark',
    colors,
    logo: safeUrl(q.get('logo'), base),
    brand: brand ? brand.slice(0, 60) : null,
    links: {
      dashboard: safeUrl(q.get('dashboard_url'), base),
      book: safeUrl(q.get('book_url'), base),
      course: safeUrl(q.get('course_url'), base),
    },
  };
}

const CSS_VAR: Record<(typeof COLOR_KEYS)[number], string> = {
  accent: '--accent',
  accent_text: '--accent-text',
  bg: '--bg',
  surface: '--surface',
  text: '--text',
};

/** Applies the theme to the document: the base palette and any colour overrides. */
export function applyTheme(config: PageConfig, root: HTMLElement = document.documentElement): void {
  root.dataset.theme = config.theme;
  for (const key of COLOR_KEYS) {
    const v = config.colors[key];
    if (v) root.style.setProperty(CSS_VAR[key], v);
  }
}

/** True when the page runs inside another page's iframe (embedded in the marketplace). */
export function isEmbedded(): boolean {
  try {
    return window.self !== window.top;
  } catch {
    return true; // cross-origin parent
  }
}

// @duet/embed: put a Duet lesson room in an element of the marketplace's page and talk to it.
//
//   const lesson = createLessonFrame(el, { url: joinUrl, theme: 'dark' });
//   lesson.on('ended', (e) => …);   lesson.mute(true);   lesson.leave();
//
// Both sides check origins: this side accepts messages only from the room's iframe and the room's
// origin (the join URL's), and sends commands only to that origin (the join token in the URL never
// goes anywhere else); the room accepts commands only from the origins its API allows
// (FRAME_ANCESTORS) and posts its events only to this page's origin when allowed.
// No dependencies; works from a <script type="module"> or a bundler.

export type LessonEventType =
  | 'ready'
  | 'hello'
  | 'joined'
  | 'left'
  | 'ended'
  | 'error'
  | 'feedback'
  | 'media'
  // The room's analytics events, under their own names.
  | 'page_view'
  | 'session_joined'
  | 'session_started'
  | 'session_ended'
  | 'feedback_submitted'
  | 'tech_issue'
  | 'first_frame';

export interface LessonEvent {
  type: LessonEventType;
  /** ISO 8601 time in the room. */
  at: string;
  data: Record<string, unknown>;
}

export interface LessonFrameOptions {
  /** The participant's join_url (`…/session/<id>#token=…`). */
  url: string;
  theme?: 'dark' | 'light';
  /** Colours `#rgb`/`#rrggbb`, brand, logo URL, language, post-session links: passed to the room as query parameters. */
  accent?: string;
  lang?: string;
  brand?: string;
  logo?: string;
  dashboardUrl?: string;
  bookUrl?: string;
  courseUrl?: string;
  /** iframe title (accessibility). */
  title?: string;
}

export interface LessonFrame {
  readonly iframe: HTMLIFrameElement;
  on(type: LessonEventType | '*', fn: (event: LessonEvent) => void): () => void;
  leave(): void;
  /** End the lesson for both (the tutor only; a student's request is refused with an `error` event). */
  end(): void;
  /** true = microphone off. */
  mute(on: boolean): void;
  /** true = camera on. */
  camera(on: boolean): void;
  setTheme(theme: 'dark' | 'light'): void;
  destroy(): void;
}

const ALLOW = 'camera; microphone; display-capture; autoplay; fullscreen; picture-in-picture; speaker-selection';
const QUERY: [keyof LessonFrameOptions, string][] = [
  ['theme', 'theme'],
  ['accent', 'accent'],
  ['lang', 'lang'],
  ['brand', 'brand'],
  ['logo', 'logo'],
  ['dashboardUrl', 'dashboard_url'],
  ['bookUrl', 'book_url'],
  ['courseUrl', 'course_url'],
];

/** The room URL with the options as query parameters; the token stays in the fragment. */
export function frameUrl(opts: LessonFrameOptions, base?: string): URL {
  const url = new URL(opts.url, base);
  for (const [key, param] of QUERY) {
    const v = opts[key];
    if (typeof v === 'string' && v) url.searchParams.set(param, v);
  }
  return url;
}

export function createLessonFrame(element: HTMLElement, opts: LessonFrameOptions): LessonFrame {
  const url = frameUrl(opts, element.ownerDocument.baseURI);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('createLessonFrame: url must be http(s)');
  const roomOrigin = url.origin;
  const win = element.ownerDocument.defaultView!;
  const iframe = element.ownerDocument.createElement('iframe');
  iframe.src = url.href;
  iframe.allow = ALLOW;
  iframe.title = opts.title ?? 'Lesson';
  iframe.style.cssText = 'border:0;width:100%;height:100%';
  const listeners = new Map<string, Set<(e: LessonEvent) => void>>();

  const send = (message: Record<string, unknown>) => iframe.contentWindow?.postMessage({ source: 'duet-host', ...message }, roomOrigin);
  const onMessage = (e: MessageEvent) => {
    if (e.source !== iframe.contentWindow || e.origin !== roomOrigin) return;
    const m = e.data as Partial<LessonEvent> & { source?: unknown };
    if (!m || typeof m !== 'object' || m.source !== 'duet' || typeof m.type !== 'string') return;
    const event: LessonEvent = { type: m.type as LessonEventType, at: String(m.at ?? ''), data: (m.data ?? {}) as Record<string, unknown> };
    for (const key of [event.type, '*']) for (const fn of listeners.get(key) ?? []) fn(event);
  };
  win.addEventListener('message', onMessage);
  // Say hello at each load: the room then knows (and checks) this page's origin in any browser.
  const onLoad = () => send({ type: 'hello' });
  iframe.addEventListener('load', onLoad);
  element.appendChild(iframe);

  const command = (name: string, value?: unknown) => send({ type: 'command', command: name, value });
  return {
    iframe,
    on(type, fn) {
      let set = listeners.get(type);
      if (!set) listeners.set(type, (set = new Set()));
      set.add(fn);
      return () => set.delete(fn);
    },
    leave: () => command('leave'),
    end: () => command('end'),
    mute: (on) => command('mute', on),
    camera: (on) => command('camera', on),
    setTheme: (theme) => command('theme', theme),
    destroy() {
      win.removeEventListener('message', onMessage);
      iframe.removeEventListener('load', onLoad);
      iframe.remove();
      listeners.clear();
    },
  };
}

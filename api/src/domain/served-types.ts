// What the API may serve from its own origin, and how. A recording is audio or video, whatever
// the recorder's hook says; a stored object is never rendered as a page by the browser (attachment,
// nosniff, a sandbox CSP), and types a browser would execute are sent as opaque bytes.

/** Media types a recording may be served as (RECORDING_CONTENT_TYPES is not configurable: a player needs these). */
export const RECORDING_CONTENT_TYPES = ['video/mp4', 'video/webm', 'video/ogg', 'audio/mp4', 'audio/webm', 'audio/ogg', 'audio/mpeg'] as const;

export function isRecordingContentType(t: string): boolean {
  return (RECORDING_CONTENT_TYPES as readonly string[]).includes(t.toLowerCase());
}

/** Types a browser renders as a document or runs as script when opened on our origin. */
const ACTIVE = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|[a-z]+\/[a-z0-9.+-]*javascript|text\/xsl|application\/x-shockwave-flash|application\/pdf\+active)$/i;

/** The Content-Type to send for a stored object: active types become opaque bytes. */
export function servedContentType(stored: string): string {
  const base = stored.split(';')[0]!.trim().toLowerCase();
  return ACTIVE.test(base) || !/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(base) ? 'application/octet-stream' : base;
}

/** Headers every object response carries: no sniffing, and no script or plugin even if opened. */
export const OBJECT_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; media-src 'self'; sandbox",
};

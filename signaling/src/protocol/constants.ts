// Protocol constants, kept free of schema code so the web bundle can import them cheaply.
export const PROTOCOL_VERSION = 1;
export const SUBPROTOCOL_MSGPACK = 'duet.v1.msgpack';
export const SUBPROTOCOL_JSON = 'duet.v1.json';
/** Largest frame either side accepts (SDP offers with three tracks stay well below this). */
export const MAX_FRAME_BYTES = 64 * 1024;
/**
 * Largest app data payload, measured on the wire: an `app.data` FRAME may be at most this plus
 * APP_DATA_FRAME_OVERHEAD bytes (never measured by re-serialising what the client sent).
 */
export const MAX_APP_DATA_BYTES = 4096;
/** Room for `t`, `id` and `topic` around the app data in its frame. */
export const APP_DATA_FRAME_OVERHEAD = 256;
/** Deepest nesting of arrays/objects accepted in an inbound frame (SDP/RTP parameters need ~6). */
export const MAX_FRAME_DEPTH = 32;
export const MAX_CHAT_TEXT = 2000;

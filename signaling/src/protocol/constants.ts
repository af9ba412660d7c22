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
/** Close codes the server uses besides 1000/1001/1008: 4001 replaced by a newer connection, 4002 lesson ended, 4003 standby expired, 4005 removed by the marketplace. */
export const CLOSE_REPLACED = 4001;
export const CLOSE_REMOVED = 4005;
/**
 * Whiteboard (Yjs) updates travel base64-encoded in strings (the frame pre-scan refuses msgpack
 * binary and extension values, and JSON framing needs text anyway). One update is at most this
 * many bytes once decoded; its base64 form must fit a frame with room to spare.
 */
export const MAX_BOARD_UPDATE_BYTES = 32 * 1024;
export const MAX_BOARD_UPDATE_BASE64 = Math.ceil(MAX_BOARD_UPDATE_BYTES / 3) * 4;
/** A Yjs state vector (one varint pair per writer client id): tiny for a two-person board. */
export const MAX_BOARD_STATE_VECTOR_BASE64 = 8 * 1024;

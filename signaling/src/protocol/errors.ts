// Error codes carried by error replies, stable for clients.
export const ERROR_CODES = [
  'bad_frame', // not decodable / not an object
  'invalid_message', // fails the schema
  'not_authenticated', // anything before a successful hello
  'already_authenticated',
  'unsupported_version',
  'token_missing',
  'token_expired',
  'token_invalid',
  'lesson_unavailable', // lesson unknown, ended or not joinable
  'service_unavailable', // the lesson service cannot be asked right now: retry
  'rate_limited',
  'frame_too_large',
  'wrong_mode', // e.g. an sfu.* request while the room is in p2p mode
  'no_peer',
  'forbidden', // e.g. a student asking to end the lesson
  'payload_too_large', // app data or chat beyond its own cap (the frame itself was fine)
  'lesson_ended', // the room has ended; nothing more can happen in it
  'media_error', // the SFU rejected the parameters
  'internal_error',
  'node_draining', // this media node takes no lessons now: ask the API where to go (POST /join again)
  'token_superseded', // a newer link of this seat has joined: this one no longer opens the seat
  'token_already_used', // JOIN_TOKEN_SINGLE_USE: the link joined already and the seat ticket is missing
  'token_not_redeemed', // JOIN_TOKEN_SINGLE_USE: join through the lesson page (POST /join) first
  'participant_revoked', // the marketplace removed this participant from the lesson
  'board_full', // the lesson's whiteboard reached its size budget (BOARD_MAX_DOC_BYTES)
  'board_locked', // the tutor locked the whiteboard: the student's updates are refused
  'lesson_elsewhere', // the API placed this lesson on another media node: ask the API (POST /join)
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

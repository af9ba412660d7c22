// Bounded pre-scanners run on every inbound frame BEFORE it is decoded. They walk the bytes once,
// allocate nothing, and refuse what a plain-JSON-shaped protocol never needs:
//  - msgpack extension types (msgpackr decodes its structured-clone / shared-reference, record,
//    Set/Map/Error/RegExp/typed-array extensions whatever the Unpackr options say; a 363-byte
//    frame of shared references expands to hundreds of MB once anything walks it),
//  - nesting deeper than MAX_DEPTH (the decoders and JSON.stringify recurse),
//  - declared str/bin/array/map lengths the frame cannot hold (so a 6-byte frame declaring a
//    4-billion-entry array is refused without allocating),
//  - non-string map keys and binary blobs (nothing in the protocol uses them).
// One exception: fixext1 type 0 (`d4 00 00`) is msgpackr's `undefined`, a fixed 3 bytes that
// clients emit for optional fields left undefined; it expands to nothing.
import { MAX_FRAME_DEPTH } from './constants.ts';

export type ScanProblem = 'extension' | 'too_deep' | 'bad_length' | 'bad_type' | 'truncated' | 'trailing';

export class FrameScanError extends Error {
  readonly problem: ScanProblem;
  constructor(problem: ScanProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

const fail = (problem: ScanProblem, message: string): never => {
  throw new FrameScanError(problem, message);
};

/** Throws FrameScanError unless `buf` holds exactly one plain msgpack value within the bounds. */
export function scanMsgpack(buf: Uint8Array, maxDepth = MAX_FRAME_DEPTH): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const end = buf.byteLength;
  let pos = 0;
  // Values still to read at each open container level (a map counts keys and values);
  // `keyNext` marks levels whose next value must be a map key (a string).
  const pending: number[] = [1];
  const isMap: boolean[] = [false];
  const keyNext: boolean[] = [false];

  const need = (n: number) => {
    if (pos + n > end) fail('truncated', 'msgpack frame ends inside a value');
  };
  const u8 = () => (need(1), buf[pos++]!);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4));
  const skip = (n: number) => {
    // Checked against what is left, so a huge declared length costs nothing.
    if (n > end - pos) fail('bad_length', 'msgpack length exceeds the frame');
    pos += n;
  };
  const open = (count: number, map: boolean) => {
    // Every element takes at least one byte (a map entry two): refuse counts the frame cannot hold.
    if (count * (map ? 2 : 1) > end - pos) fail('bad_length', 'msgpack array/map length exceeds the frame');
    if (pending.length > maxDepth) fail('too_deep', `msgpack nesting deeper than ${maxDepth}`);
    if (count === 0) return;
    pending.push(count * (map ? 2 : 1));
    isMap.push(map);
    keyNext.push(map);
  };

  while (pending.length > 0) {
    const level = pending.length - 1;
    if (pending[level] === 0) {
      pending.pop();
      isMap.pop();
      keyNext.pop();
      continue;
    }
    pending[level]!--;
    const wantKey = keyNext[level]!;
    if (isMap[level]) keyNext[level] = !wantKey;
    const b = u8();
    const isStr = (b >= 0xa0 && b <= 0xbf) || b === 0xd9 || b === 0xda || b === 0xdb;
    if (wantKey && !isStr) fail('bad_type', 'msgpack map keys must be strings');
    if (b <= 0x7f || b >= 0xe0) continue; // fixints
    if (b <= 0x8f) open(b & 0x0f, true);
    else if (b <= 0x9f) open(b & 0x0f, false);
    else if (b <= 0xbf) skip(b & 0x1f);
    else {
      switch (b) {
        case 0xc0: case 0xc2: case 0xc3: break; // nil, false, true
        case 0xca: skip(4); break; // float32
        case 0xcb: skip(8); break; // float64
        case 0xcc: case 0xd0: skip(1); break;
        case 0xcd: case 0xd1: skip(2); break;
        case 0xce: case 0xd2: skip(4); break;
        case 0xcf: case 0xd3: skip(8); break;
        case 0xd9: skip(u8()); break;
        case 0xda: skip(u16()); break;
        case 0xdb: skip(u32()); break;
        case 0xdc: open(u16(), false); break;
        case 0xdd: open(u32(), false); break;
        case 0xde: open(u16(), true); break;
        case 0xdf: open(u32(), true); break;
        case 0xd4: {
          // fixext1: only msgpackr's `undefined` (type 0, data 0).
          need(2);
          if (buf[pos] === 0 && buf[pos + 1] === 0) {
            pos += 2;
            break;
          }
          fail('extension', 'msgpack extension types are not accepted');
          break;
        }
        case 0xc4: case 0xc5: case 0xc6:
          fail('bad_type', 'msgpack binary values are not accepted');
          break;
        case 0xc7: case 0xc8: case 0xc9: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
          fail('extension', 'msgpack extension types are not accepted');
          break;
        default:
          fail('bad_type', `invalid msgpack byte 0x${b.toString(16)}`); // 0xc1 (never used)
      }
    }
  }
  if (pos !== end) fail('trailing', 'msgpack frame has bytes after its value');
}

/**
 * JSON text: nesting depth only (every element takes at least one character, so counts are
 * bounded by the frame size already). Strings are skipped so brackets inside them do not count.
 */
export function scanJson(text: string, maxDepth = MAX_FRAME_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped char
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) fail('too_deep', `JSON nesting deeper than ${maxDepth}`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

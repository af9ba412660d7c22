// Wire framing: msgpack binary frames (default) or JSON text frames (`duet.v1.json`).
import { Packr } from 'msgpackr';
import { SUBPROTOCOL_JSON } from './constants.ts';
import { scanJson, scanMsgpack } from './frame-scan.ts';

export { FrameScanError } from './frame-scan.ts';

// Plain maps/arrays only: no msgpackr record or structured-clone extension, so any msgpack
// decoder can read frames. These options alone do NOT stop msgpackr from DECODING its
// extensions (shared references, records, Set/Map...): the pre-scan in decode() does.
const packr = new Packr({ useRecords: false, structuredClone: false, mapsAsObjects: true, int64AsType: 'number' });

export type Framing = 'msgpack' | 'json';

export function framingFor(subprotocol: string | undefined): Framing {
  return subprotocol === SUBPROTOCOL_JSON ? 'json' : 'msgpack';
}

export function encode(framing: Framing, message: unknown): Uint8Array | string {
  return framing === 'json' ? JSON.stringify(message) : packr.pack(message);
}

/**
 * Throws on undecodable input (a FrameScanError for frames refused by the bounded pre-scan:
 * extension types, too deep, lengths beyond the frame); the caller turns that into `bad_frame`.
 */
export function decode(framing: Framing, frame: Uint8Array | string): unknown {
  if (framing === 'json') {
    const text = typeof frame === 'string' ? frame : new TextDecoder('utf-8', { fatal: true }).decode(frame);
    scanJson(text);
    return JSON.parse(text);
  }
  if (typeof frame === 'string') throw new Error('expected a binary frame on the msgpack subprotocol');
  scanMsgpack(frame);
  return packr.unpack(frame);
}

// Wire framing: msgpack binary frames (default) or JSON text frames (`duet.v1.json`).
import { Packr } from 'msgpackr';
import { SUBPROTOCOL_JSON } from './constants.ts';

// Plain maps/arrays only: no msgpackr record extension, so any msgpack decoder can read frames.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export type Framing = 'msgpack' | 'json';

export function framingFor(subprotocol: string | undefined): Framing {
  return subprotocol === SUBPROTOCOL_JSON ? 'json' : 'msgpack';
}

export function encode(framing: Framing, message: unknown): Uint8Array | string {
  return framing === 'json' ? JSON.stringify(message) : packr.pack(message);
}

/** Throws on undecodable input; the caller turns that into a `bad_frame` error. */
export function decode(framing: Framing, frame: Uint8Array | string): unknown {
  if (framing === 'json') {
    const text = typeof frame === 'string' ? frame : new TextDecoder('utf-8', { fatal: true }).decode(frame);
    return JSON.parse(text);
  }
  if (typeof frame === 'string') throw new Error('expected a binary frame on the msgpack subprotocol');
  return packr.unpack(frame);
}

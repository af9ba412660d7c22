import { describe, expect, it } from 'vitest';
import { decode, encode } from '../src/protocol/index.ts';
import { validateClientMessage } from '../src/transport/validate.ts';

describe('protocol validation', () => {
  it('accepts every well-formed request type', () => {
    const good = [
      { t: 'hello', id: 1, v: 1, token: 'x' },
      { t: 'ping', id: 2 },
      { t: 'leave', id: 3 },
      { t: 'media.state', id: 4, audio: false, video: true },
      { t: 'p2p.signal', id: 5, signal: { kind: 'offer', sdp: 'v=0' } },
      { t: 'p2p.signal', id: 6, signal: { kind: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } } },
      { t: 'sfu.capabilities', id: 7 },
      { t: 'sfu.createTransport', id: 8, direction: 'recv' },
      { t: 'sfu.connectTransport', id: 9, transportId: 'abc', dtlsParameters: { role: 'client' } },
      { t: 'sfu.produce', id: 10, transportId: 'abc', kind: 'video', rtpParameters: {}, source: 'screen' },
      { t: 'sfu.consume', id: 11, producerId: 'p', rtpCapabilities: {} },
      { t: 'sfu.resumeConsumer', id: 12, consumerId: 'c' },
    ];
    for (const m of good) expect(validateClientMessage(m), JSON.stringify(m)).toEqual({ ok: true, message: m });
  });

  it('explains what is wrong, keeping the request id when there is one', () => {
    expect(validateClientMessage('hello')).toMatchObject({ ok: false, id: undefined, reason: 'a message must be an object' });
    expect(validateClientMessage({ t: 'nope', id: 3 })).toMatchObject({ ok: false, id: 3, reason: expect.stringContaining('unknown message type') });
    expect(validateClientMessage({ t: 'ping' })).toMatchObject({ ok: false, reason: 'a request needs a numeric id' });
    expect(validateClientMessage({ t: 'hello', id: 4, v: 2, token: 'x' })).toMatchObject({ ok: false, id: 4, reason: expect.stringContaining('/v') });
    expect(validateClientMessage({ t: 'ping', id: 5, extra: true })).toMatchObject({ ok: false, id: 5 });
    expect(validateClientMessage({ t: 'sfu.createTransport', id: 6, direction: 'both' })).toMatchObject({ ok: false, id: 6, reason: expect.stringContaining('/direction') });
    expect(validateClientMessage({ t: 'p2p.signal', id: 7, signal: { kind: 'offer', sdp: 'x'.repeat(50_000) } })).toMatchObject({ ok: false, id: 7 });
  });

  it('round-trips both framings and rejects undecodable frames', () => {
    const msg = { t: 'response', id: 1, ok: true, data: { n: 1.5, s: 'é', a: [1, 2], nested: { x: null } } };
    expect(decode('json', encode('json', msg) as string)).toEqual(msg);
    expect(decode('msgpack', encode('msgpack', msg) as Uint8Array)).toEqual(msg);
    expect(() => decode('json', '{nope')).toThrow();
    expect(() => decode('msgpack', 'text on a binary protocol')).toThrow();
    expect(() => decode('msgpack', new Uint8Array([0x82, 0xa1]))).toThrow(); // truncated map
  });
});

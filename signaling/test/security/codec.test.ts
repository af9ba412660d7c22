// Attack frames against the signaling codec, over real WebSockets on a real media node: msgpack
// extension types (msgpackr's structured-clone shared references, records, other extensions),
// deep nesting, huge declared lengths in tiny frames, and app data sized by re-serialisation.
// Every one must be refused cheaply with a clear error, counted, and must not stall the node:
// a participant of ANOTHER lesson pings throughout and must be answered within a bound.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { routerRtpCapabilities } from '@duet/sfu';
import { decode, encode, FrameScanError } from '../../src/protocol/index.ts';
import { startNodeStack, type NodeStack } from '../support/stack.ts';
import { TestClient } from '../support/ws-client.ts';

let stack: NodeStack;
let attacker: TestClient;
let bystander: TestClient; // a participant of another lesson on the same node

beforeAll(async () => {
  stack = await startNodeStack({ SIGNALING_RATE_PER_SEC: '1000', SIGNALING_RATE_BURST: '1000' });
  const [a, b] = [await stack.lesson(), await stack.lesson()];
  attacker = await TestClient.open(stack.wsUrl, 'msgpack');
  bystander = await TestClient.open(stack.wsUrl, 'msgpack');
  expect(await attacker.request('hello', { v: 1, token: a.studentToken })).toMatchObject({ ok: true });
  expect(await bystander.request('hello', { v: 1, token: b.tutorToken })).toMatchObject({ ok: true });
}, 60_000);
afterAll(async () => {
  attacker?.close();
  bystander?.close();
  await stack?.stop();
});

/** A 2^n-fold expansion in a few hundred bytes: each level holds the previous one twice, by reference. */
function sharedReferenceBomb(levels: number): Uint8Array {
  let node: unknown = ['0123456789abcdef0123456789abcdef'];
  for (let i = 0; i < levels; i++) node = [node, node, node, node];
  return new Packr({ structuredClone: true, useRecords: false }).pack({ t: 'app.data', id: 7, topic: 'x', data: node });
}

/** Sends frames while the bystander pings; returns the slowest ping answer (ms). */
async function underAttack(frames: Uint8Array[], idsToAwait: number[]): Promise<number> {
  let worst = 0;
  let stop = false;
  const pinger = (async () => {
    while (!stop) {
      const t0 = Date.now();
      await bystander.request('ping');
      worst = Math.max(worst, Date.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  for (const f of frames) attacker.sendRaw(f);
  const errorsBefore = attacker.notifications.filter((n) => n.t === 'error').length;
  // Every frame is answered (a response for a usable id, else an `error` notification).
  await attacker.until(() => idsToAwait.every((id) => attacker.responses.has(id)) && attacker.notifications.filter((n) => n.t === 'error').length >= errorsBefore + frames.length - idsToAwait.length, 20_000);
  stop = true;
  await pinger;
  return worst;
}

const lastError = () => [...attacker.notifications].reverse().find((n) => n.t === 'error') as { error: { code: string; message: string } } | undefined;

async function metric(reason: string): Promise<number> {
  const text = await (await fetch(`${stack.httpUrl}/metrics`)).text();
  const m = new RegExp(`^duet_node_rejections_total\\{[^}]*reason="${reason}"[^}]*\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('msgpack extension types are refused before decoding', () => {
  it('a shared-reference (structured clone) bomb on app.data is refused at once and the node stays responsive', async () => {
    const bomb = sharedReferenceBomb(12); // 4^12 = 16M leaves once expanded
    expect(bomb.byteLength).toBeLessThan(600);
    const worst = await underAttack([bomb, bomb, bomb], []);
    expect(lastError()?.error).toMatchObject({ code: 'bad_frame', message: expect.stringMatching(/extension/) });
    expect(worst).toBeLessThan(1_000);
    // The socket survives a refused frame: the same client can still talk.
    expect(await attacker.request('ping')).toMatchObject({ ok: true });
    expect(await metric('frame_extension')).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('records, Set/Map/Date and raw ext frames are refused with a clear error', async () => {
    const records = new Packr({ useRecords: true }).pack({ t: 'ping', id: 1 });
    const set = new Packr({ moreTypes: true, structuredClone: true }).pack({ t: 'app.data', id: 2, topic: 'x', data: new Set([1, 2]) });
    const date = new Packr({ useRecords: false }).pack({ t: 'app.data', id: 3, topic: 'x', data: new Date() });
    const raw = [
      Uint8Array.of(0x81, 0xa1, 0x74, 0xd5, 0x01, 0, 0), // fixext2
      Uint8Array.of(0x81, 0xa1, 0x74, 0xc7, 0x01, 0x05, 0), // ext8
      Uint8Array.of(0x81, 0xa1, 0x74, 0xc9, 0xff, 0xff, 0xff, 0xff, 0x70), // ext32 declaring 4 GB
      Uint8Array.of(0x81, 0xa1, 0x74, 0xd4, 0x70, 0x01), // fixext1 type 0x70 (pointer)
    ];
    const frames = [records, set, date, ...raw];
    const before = await metric('frame_extension');
    await underAttack(frames, []);
    const errors = attacker.notifications.filter((n) => n.t === 'error').slice(-frames.length) as { error: { code: string; message: string } }[];
    for (const e of errors) expect(e.error).toMatchObject({ code: 'bad_frame', message: expect.stringMatching(/extension|length/) });
    expect(await metric('frame_extension')).toBeGreaterThanOrEqual(before + frames.length - 1);
  }, 30_000);

  it('still accepts what real clients send, including undefined optional fields', async () => {
    expect(await attacker.request('ping')).toMatchObject({ ok: true });
    attacker.sendRaw(encode('msgpack', { t: 'media.state', id: 900, audio: true, video: false, screen: undefined }) as Uint8Array);
    expect(await attacker.until(() => attacker.responses.get(900))).toMatchObject({ ok: true });
  });
});

describe('the pre-scan lets every real message through', () => {
  it('round-trips router capabilities, SDP-sized strings, numbers of every width, undefined and empty containers', () => {
    const message = {
      t: 'join', id: 2 ** 31 - 1, rtpCapabilities: routerRtpCapabilities(), empty: {}, list: [], n: [0, -1, 127, 128, -33, 255, 65_536, -(2 ** 31), 2 ** 40, 1.5, -1e300], s: 'x'.repeat(70_000).slice(0, 48_000), u: undefined, b: [true, false, null],
    };
    for (const framing of ['msgpack', 'json'] as const) {
      const back = decode(framing, encode(framing, message)) as Record<string, unknown>;
      expect(back.rtpCapabilities).toEqual(JSON.parse(JSON.stringify(message.rtpCapabilities)));
      expect(back.n).toEqual(message.n);
      expect((back.s as string).length).toBe(48_000);
    }
    expect(() => decode('msgpack', Uint8Array.of(0x92, 0xc0))).toThrow(FrameScanError); // truncated
    expect(() => decode('msgpack', Uint8Array.of(0xc0, 0xc0))).toThrow(/after its value/);
    expect(() => decode('json', `{"a":"${'['.repeat(100)}"}`)).not.toThrow(); // brackets inside strings do not count
  });
});

describe('nesting and declared lengths are bounded while decoding', () => {
  it('deep nesting (msgpack and JSON) is refused as too deep, without a stack overflow', async () => {
    const depth = 20_000;
    const deep = new Uint8Array(depth + 1).fill(0x91);
    deep[depth] = 0xc0;
    // {t, id, topic, data: [[[[...]]]]}: a map of 4 with the deep value last.
    const head = Buffer.from(new Packr({ useRecords: false }).pack({ t: 'app.data', id: 12, topic: 'x' }));
    expect(head[0]).toBe(0xde); // map16 of 3 entries: make it 4
    head[2] = 4;
    const frame = Buffer.concat([head, Buffer.from([0xa4, 0x64, 0x61, 0x74, 0x61]), deep]);
    await underAttack([frame], []);
    expect(attacker.responses.get(12)).toBeUndefined(); // refused before decoding: no id to answer
    expect(lastError()?.error).toMatchObject({ code: 'bad_frame', message: expect.stringMatching(/deeper than/) });

    const json = await TestClient.open(stack.wsUrl, 'json');
    const l = await stack.lesson();
    expect(await json.request('hello', { v: 1, token: l.tutorToken })).toMatchObject({ ok: true });
    json.sendRaw(`{"t":"app.data","id":5,"topic":"x","data":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const err = await json.until(() => json.notifications.find((n) => n.t === 'error') as { error: { code: string; message: string } } | undefined);
    expect(err.error).toMatchObject({ code: 'bad_frame', message: expect.stringMatching(/deeper than/) });
    json.close();
    expect(await metric('frame_too_deep')).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('huge declared array/map/str lengths in tiny frames are refused cheaply', async () => {
    const frames = [
      Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff), // array32 of 4 billion
      Uint8Array.of(0xdf, 0x7f, 0xff, 0xff, 0xff), // map32 of 2 billion
      Uint8Array.of(0x81, 0xa1, 0x74, 0xdb, 0xff, 0xff, 0xff, 0xff), // str32 of 4 GB
      Uint8Array.of(0x81, 0xa1, 0x74, 0xc6, 0xff, 0xff, 0xff, 0xff), // bin32 of 4 GB
      Uint8Array.of(0x81, 0xa1, 0x74, 0xdc, 0xff, 0xff), // array16 of 65535 in 6 bytes
    ];
    const before = await metric('frame_bad_length');
    const worst = await underAttack(frames, []);
    const errors = attacker.notifications.filter((n) => n.t === 'error').slice(-frames.length) as { error: { code: string; message: string } }[];
    expect(errors.map((e) => e.error.code)).toEqual(frames.map(() => 'bad_frame'));
    expect(errors.filter((e) => /exceeds the frame/.test(e.error.message)).length).toBeGreaterThanOrEqual(4);
    expect(worst).toBeLessThan(1_000);
    expect(await metric('frame_bad_length')).toBeGreaterThanOrEqual(before + 4);
  }, 30_000);
});

describe('app data is sized by its frame', () => {
  it('a large app.data frame is refused as payload_too_large; a small one is relayed', async () => {
    const big = encode('msgpack', { t: 'app.data', id: 21, topic: 'x', data: { blob: 'y'.repeat(8_000) } }) as Uint8Array;
    attacker.sendRaw(big);
    expect(await attacker.until(() => attacker.responses.get(21))).toMatchObject({ ok: false, error: { code: 'payload_too_large' } });
    expect(await metric('app_data_too_large')).toBeGreaterThanOrEqual(1);
  });
});

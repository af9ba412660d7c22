// Fuzzing the signaling server over real WebSockets: 100k+ random and mutated frames, on both
// subprotocols, before and after authentication. The process must never crash (no uncaught
// exception or unhandled rejection), every bad frame must be answered and counted, and the
// node must keep serving a normal lesson afterwards. Bounded in count and time; seeded, so a
// failure can be replayed (FUZZ_SEED).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { encode, type Framing } from '../src/protocol/index.ts';
import { startNodeStack, type NodeStack } from './support/stack.ts';
import { TestClient } from './support/ws-client.ts';

const TOTAL = Number(process.env.FUZZ_FRAMES ?? 100_000);
const CONNECTIONS = 8;
const WINDOW = 64; // frames in flight per connection
const TIME_LIMIT_MS = 150_000;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);

let stack: NodeStack;
const crashes: string[] = [];
const onCrash = (e: unknown) => crashes.push(e instanceof Error ? (e.stack ?? e.message) : String(e));

beforeAll(async () => {
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  // The per-connection rate cap is tested elsewhere; here frames must reach the parser.
  // Unauthenticated lanes must not be closed by the hello timeout halfway through either.
  stack = await startNodeStack({ SIGNALING_RATE_PER_SEC: '1000000', SIGNALING_RATE_BURST: '1000000', SIGNALING_RATE_KIND_SCALE: '100000', SIGNALING_HELLO_TIMEOUT_MS: '120000' });
});
afterAll(async () => {
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
  await stack?.stop();
});

/** mulberry32: small, fast, seedable. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = [
  'hello', 'ping', 'media.state', 'media.speaking', 'p2p.signal', 'p2p.status', 'sfu.capabilities', 'sfu.preconnect', 'sfu.createTransport', 'sfu.connectTransport',
  'sfu.restartIce', 'sfu.produce', 'sfu.closeProducer', 'sfu.consume', 'sfu.resumeConsumer', 'sfu.ready', 'p2p.ready', 'sfu.probe', 'chat.send', 'app.data', 'lesson.end', 'nope', '__proto__', 'constructor',
];

function fuzzer(seed: number) {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const str = (max: number) => Array.from({ length: int(max) }, () => String.fromCharCode(int(r() < 0.9 ? 128 : 0x10000))).join('');
  function value(depth: number): unknown {
    switch (int(depth > 3 ? 6 : 9)) {
      case 0: return null;
      case 1: return r() < 0.5;
      case 2: return pick([0, -1, 1.5, 2 ** 31, -(2 ** 53), Number.MAX_SAFE_INTEGER, 1e308, int(1000)]);
      case 3: return str(40);
      case 4: return pick(['offer', 'answer', 'candidate', 'send', 'recv', 'audio', 'video', 'screen', 'camera', 'connected', 'failed', '']);
      case 5: return undefined;
      case 6: return Array.from({ length: int(6) }, () => value(depth + 1));
      case 7:
      case 8: {
        const o: Record<string, unknown> = {};
        for (let i = int(6); i > 0; i--) o[pick(['t', 'id', 'kind', 'sdp', 'signal', 'candidate', 'transportId', 'producerId', 'rtpParameters', 'dtlsParameters', 'text', 'messageId', 'topic', 'data', '__proto__', 'constructor', str(8)])] = value(depth + 1);
        return o;
      }
    }
    return null;
  }
  /** A plausible request: right type and id, fields from the protocol's vocabulary. */
  function message(): Record<string, unknown> {
    const m = value(1);
    const base = typeof m === 'object' && m !== null && !Array.isArray(m) ? (m as Record<string, unknown>) : {};
    const t = pick(TYPES);
    const out: Record<string, unknown> = { ...base, t, id: r() < 0.9 ? int(1_000_000) : value(3) };
    if (t === 'p2p.signal' && r() < 0.5) out.signal = { kind: pick(['offer', 'answer', 'candidate']), sdp: str(200), candidate: { candidate: str(60), sdpMid: '0' } };
    if (t === 'sfu.produce' && r() < 0.5) Object.assign(out, { transportId: str(36), kind: pick(['audio', 'video']), rtpParameters: value(1), source: 'camera' });
    if (t === 'hello' && r() < 0.5) Object.assign(out, { v: pick([1, 2, '1']), token: str(200) });
    return out;
  }
  function mutate(bytes: Uint8Array): Uint8Array {
    const b = new Uint8Array(bytes);
    const n = 1 + int(4);
    for (let i = 0; i < n && b.length > 0; i++) {
      const op = int(4);
      const at = int(b.length);
      if (op === 0) b[at] = int(256);
      else if (op === 1) b[at] = b[at]! ^ (1 << int(8));
      else if (op === 2) return b.subarray(0, at); // truncate
      else b[at] = pick([0xc1, 0xdd, 0xdf, 0xc4, 0xd9, 0x7f, 0x80, 0xff, 0x00]); // msgpack edge markers
    }
    return b;
  }
  const cloning = new Packr({ structuredClone: true, moreTypes: true, useRecords: false });
  const records = new Packr({ useRecords: true });
  /**
   * Hostile frames (see test/security/codec.test.ts): msgpack extension types (shared references,
   * records, Set/Date, raw ext), deep nesting, lengths the frame cannot hold. All must be refused.
   */
  function hostile(framing: Framing): string | Uint8Array {
    const depth = 33 + int(5000);
    if (framing === 'json') return `{"t":"app.data","id":${int(1000)},"topic":"x","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    switch (int(6)) {
      case 0: {
        let node: unknown = [str(8)];
        for (let i = 1 + int(10); i > 0; i--) node = [node, node, node];
        return cloning.pack({ t: 'app.data', id: int(1000), topic: 'x', data: node });
      }
      case 1: return records.pack(message());
      case 2: return cloning.pack({ t: 'app.data', id: int(1000), topic: 'x', data: pick([new Set([1]), new Map([[1, 2]]), new Date(), /x/, new Error('e'), new Uint16Array(3)]) });
      case 3: return Uint8Array.of(pick([0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8]), ...Array.from({ length: int(12) }, () => int(256)));
      case 4: return Uint8Array.of(...new Uint8Array(depth).fill(pick([0x91, 0x81])), 0xc0);
      default: return Uint8Array.of(pick([0xdc, 0xdd, 0xde, 0xdf, 0xdb, 0xc6]), 0xff, 0xff, 0xff, 0xff);
    }
  }
  /** One frame for a framing: random bytes, random text, mutated valid, structurally odd or hostile. */
  function frame(framing: Framing): string | Uint8Array {
    const kind = int(10);
    if (kind === 9 && r() < 0.2) return hostile(framing);
    if (kind === 0) return Uint8Array.from({ length: int(300) }, () => int(256));
    if (kind === 1) return str(300);
    if (kind === 2 && framing === 'json') return JSON.stringify(message()).slice(0, int(200));
    if (kind === 3) return encode(framing, value(0));
    if (kind === 4) return framing === 'json' ? JSON.stringify(Array.from({ length: int(20) }, () => message())) : encode('msgpack', [message()]);
    if (kind === 5 && r() < 0.05) return framing === 'json' ? `{"t":"ping","id":1,"pad":"${'x'.repeat(66_000)}"}` : new Uint8Array(66_000);
    const valid = encode(framing, message());
    if (kind <= 7) return valid;
    const bytes = typeof valid === 'string' ? new TextEncoder().encode(valid) : valid;
    const mutated = mutate(bytes);
    return framing === 'json' ? new TextDecoder().decode(mutated) : mutated;
  }
  return { frame };
}

interface Lane {
  client: TestClient;
  token?: string;
}

it(`survives ${TOTAL} random and mutated frames (seed ${SEED})`, async () => {
  // One lesson per authenticated lane, so lanes never take each other's seat.
  const lessons = await Promise.all(Array.from({ length: CONNECTIONS }, () => stack.lesson()));
  const start = Date.now();
  const before = stack.signaling.stats();
  let sent = 0;
  let replies = 0;
  let reconnects = 0;

  async function openLane(i: number): Promise<Lane> {
    const framing: Framing = i % 2 === 0 ? 'msgpack' : 'json';
    const client = await TestClient.open(stack.wsUrl, framing);
    // Half the lanes fuzz after authenticating (as the student: a fuzzed lesson.end is refused).
    if (i % 4 >= 2) {
      const res = await client.request('hello', { v: 1, token: lessons[i]!.studentToken });
      expect(res.ok, JSON.stringify(res)).toBe(true);
    }
    return { client };
  }

  async function runLane(i: number, quota: number): Promise<void> {
    const f = fuzzer(SEED * 31 + i);
    let lane = await openLane(i);
    let done = 0;
    while (done < quota && Date.now() - start < TIME_LIMIT_MS) {
      if (lane.client.closed || lane.client.ws.readyState !== lane.client.ws.OPEN) {
        // A fuzzed `leave`, or the flood guard: start a new connection and go on.
        reconnects++;
        lane = await openLane(i);
      }
      const c = lane.client;
      const seen = c.notifications.length + c.responses.size;
      const batch = Math.min(WINDOW, quota - done);
      for (let k = 0; k < batch; k++) c.sendRaw(f.frame(c.framing));
      done += batch;
      sent += batch;
      // Wait for the server to catch up (each frame gets at most one answer; a few get none,
      // e.g. duplicate ids or a frame that closed the socket), so memory stays bounded.
      await c.until(() => c.closed || c.notifications.length + c.responses.size >= seen + batch * 0.9, 20_000).catch(() => undefined);
      replies += c.notifications.length + c.responses.size - seen;
      // Keep the collected answers from growing without bound.
      if (c.notifications.length > 10_000) c.notifications.splice(0);
      if (c.responses.size > 10_000) c.responses.clear();
    }
    lane.client.close();
  }

  await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => runLane(i, Math.ceil(TOTAL / CONNECTIONS))));
  const after = stack.signaling.stats();
  const elapsed = Date.now() - start;
  console.log(`[fuzz] seed ${SEED}: ${sent} frames in ${elapsed} ms, ${replies} replies, ${after.badFrames - before.badFrames} counted bad, ${reconnects} reconnects`);

  expect(crashes).toEqual([]);
  expect(sent).toBeGreaterThanOrEqual(TOTAL);
  expect(after.frames - before.frames).toBeGreaterThanOrEqual(sent * 0.99); // the server saw them
  expect(after.badFrames - before.badFrames).toBeGreaterThan(sent * 0.3);
  // The hostile frames were refused by the pre-scan, each with its reason counted.
  const metrics = await (await fetch(`${stack.httpUrl}/metrics`)).text();
  for (const reason of ['frame_extension', 'frame_too_deep', 'frame_bad_length']) expect(metrics).toMatch(new RegExp(`duet_node_rejections_total\\{[^}]*reason="${reason}"[^}]*\\} [1-9]`));
  // Still healthy, and a normal lesson still works on the same process.
  expect((await fetch(`${stack.httpUrl}/healthz`)).status).toBe(200);
  const fresh = await stack.lesson();
  const tutor = await TestClient.open(stack.wsUrl, 'msgpack');
  expect(await tutor.request('hello', { v: 1, token: fresh.tutorToken })).toMatchObject({ ok: true, data: { mode: 'waiting' } });
  expect(await tutor.request('ping')).toMatchObject({ ok: true });
  tutor.close();
}, TIME_LIMIT_MS + 60_000);

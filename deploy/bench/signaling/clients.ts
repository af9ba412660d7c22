// One client process of the signaling capacity bench (run.ts forks several): plain Node `ws`
// clients speaking the node's msgpack subprotocol, told what to do over IPC. Its own CPU and memory
// are reported apart from the server's. Every socket binds to one of the 127.0.x.y source addresses
// it is given (the node's per-address socket cap stays at its default; real participants come from
// many addresses) and everything it does is bounded in count and time.
//   hold  {seats, url, addresses}: open and keep one idle seated socket per seat
//   churn {seats, url, addresses, rate, seconds}: connect → hello → seated → leave at `rate`/s
//   usage: this process's CPU time and memory;  close: close everything and exit
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { Packr } from 'msgpackr';

export interface Seat {
  token: string;
  ticket: string;
}
export type Command =
  | { cmd: 'hold'; seats: Seat[]; url: string; addresses: string[]; perAddress: number }
  | { cmd: 'churn'; seats: Seat[]; url: string; addresses: string[]; rate: number; seconds: number }
  | { cmd: 'usage' }
  | { cmd: 'close' };

const packr = new Packr({ useRecords: false, structuredClone: false, mapsAsObjects: true });
const SUBPROTOCOL = 'duet.v1.msgpack';
const HANDSHAKE_TIMEOUT_MS = 10_000;
const held: WebSocket[] = [];

interface Outcome {
  ok: boolean;
  ms: number;
  error?: string;
}

/**
 * Connect, send hello, resolve when the seated reply (`response` to the hello, ok) arrives: the
 * handshake time. Idle sockets answer the room's `mode: p2p` with `p2p.status connected`, as a
 * room whose peer connection came up does (its media then flows outside the node).
 */
function handshake(url: string, seat: Seat, localAddress: string, keep: boolean): Promise<Outcome & { ws: WebSocket }> {
  const start = performance.now();
  const ws = new WebSocket(url, [SUBPROTOCOL], { localAddress, perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean, error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!ok) ws.terminate();
      resolve({ ok, ms: performance.now() - start, error, ws });
    };
    const timer = setTimeout(() => finish(false, 'timeout'), HANDSHAKE_TIMEOUT_MS);
    ws.on('open', () => ws.send(packr.pack({ t: 'hello', id: 1, v: 1, token: seat.token, ticket: seat.ticket })));
    ws.on('message', (data: Buffer) => {
      let msg: { t?: string; id?: number; ok?: boolean; mode?: string; error?: { code?: string; message?: string } };
      try {
        msg = packr.unpack(data) as typeof msg;
      } catch {
        return finish(false, 'undecodable reply');
      }
      if (msg.t === 'response' && msg.id === 1) finish(msg.ok === true, msg.ok ? undefined : `${msg.error?.code ?? 'refused'}: ${msg.error?.message?.slice(0, 80) ?? ''}`);
      else if (keep && msg.t === 'mode' && msg.mode === 'p2p') ws.send(packr.pack({ t: 'p2p.status', id: 2, state: 'connected' }));
    });
    ws.on('error', (err) => finish(false, (err as NodeJS.ErrnoException).code ?? err.message));
    ws.on('close', (code) => finish(false, `closed ${code}`));
  });
}

async function hold(c: Extract<Command, { cmd: 'hold' }>): Promise<unknown> {
  const errors = new Map<string, number>();
  let ok = 0;
  let next = 0;
  const started = performance.now();
  // 32 handshakes in flight per process: a ramp, not a thundering herd.
  const lane = async () => {
    for (;;) {
      const i = next++;
      if (i >= c.seats.length) return;
      const address = c.addresses[Math.floor(i / c.perAddress)]!;
      const r = await handshake(c.url, c.seats[i]!, address, true);
      if (r.ok) {
        held.push(r.ws);
        ok++;
      } else errors.set(r.error!, (errors.get(r.error!) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: 32 }, lane));
  return { held: ok, failed: c.seats.length - ok, errors: Object.fromEntries(errors), seconds: (performance.now() - started) / 1000, open: held.filter((w) => w.readyState === w.OPEN).length };
}

/** Open loop: a join starts every 1/rate s whatever the others do (at most 500 in flight). */
async function churn(c: Extract<Command, { cmd: 'churn' }>): Promise<unknown> {
  const total = Math.round(c.rate * c.seconds);
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  let inFlight = 0;
  let skipped = 0;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / c.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (inFlight >= 500) {
      skipped++;
      continue;
    }
    inFlight++;
    const seat = c.seats[i % c.seats.length]!;
    const address = c.addresses[i % c.addresses.length]!;
    pending.push(
      handshake(c.url, seat, address, false).then((r) => {
        inFlight--;
        if (r.ok) {
          latencies.push(r.ms);
          // Leave as the room does: `leave`, then the server closes the socket.
          r.ws.send(packr.pack({ t: 'leave', id: 3 }));
          setTimeout(() => r.ws.terminate(), 2000).unref();
        } else errors.set(r.error!, (errors.get(r.error!) ?? 0) + 1);
      }),
    );
  }
  await Promise.all(pending);
  return { attempted: total, latencies, errors: Object.fromEntries(errors), skipped, seconds: (performance.now() - started) / 1000 };
}

process.on('message', (c: Command) => {
  const reply = (v: unknown) => process.send!(v);
  if (c.cmd === 'hold') void hold(c).then(reply);
  else if (c.cmd === 'churn') void churn(c).then(reply);
  else if (c.cmd === 'usage') {
    const cpu = process.cpuUsage();
    reply({ cpuMs: (cpu.user + cpu.system) / 1000, rss: process.memoryUsage().rss, open: held.filter((w) => w.readyState === w.OPEN).length });
  } else if (c.cmd === 'close') {
    for (const w of held) w.terminate();
    reply({ closed: held.length });
    setTimeout(() => process.exit(0), 50);
  }
});
process.on('disconnect', () => process.exit(0));

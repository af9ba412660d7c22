// One load-generator thread: it owns a share of the lessons (round robin), sends their publishers'
// RTP and receives what the SFU forwards to their participants, measuring loss and latency there,
// so sending and receiving spread over as many threads as the machine has cores and the main
// thread only drives mediasoup. Sockets are connected (no per-packet address lookup) and packets
// come from pre-built rings (no per-packet allocation). Messages from the main thread:
//   { cmd: 'bind' }                                     -> { ports: [p0, p1] } two receive sockets for the next lesson
//   { cmd: 'add', variant, receivers, publishers: [{ port, streams: [{ kind, ssrc }] }, ...] } -> { added }
//   { cmd: 'run', variant, lessons }                    send for this thread's lessons below index `lessons` (0 = stop)
//   { cmd: 'reset' }                                    clear counters (start of a measurement window)
//   { cmd: 'collect' }                                  -> { sent, expected, received, latenciesMs } since 'reset'
import { createSocket, type Socket } from 'node:dgram';
import { parentPort } from 'node:worker_threads';
import { lossOf, newReceived, newStream, nextPacket, onPacket, type ReceivedStats, type StreamState } from './rtp.ts';

interface Publisher {
  socket: Socket;
  streams: StreamState[];
}
interface Lesson {
  index: number;
  publishers: Publisher[];
  received: ReceivedStats[];
}

const SAMPLE_EVERY = 7; // latency sample rate (every 7th packet per receiver)
const lessons = new Map<string, Lesson[]>();
const unclaimed = new Map<number, { socket: Socket; stats: ReceivedStats }>();
let active: Lesson[] = [];
/** The lessons of the last run that sent (kept after 'run 0' so late packets still count). */
let measured: Lesson[] = [];
let sent = 0;
let last = process.hrtime.bigint();

function pump(): void {
  const now = process.hrtime.bigint();
  const dt = Number(now - last) / 1e9;
  last = now;
  for (const lesson of active) {
    for (const pub of lesson.publishers) {
      for (const s of pub.streams) {
        // After a scheduling stall catch up, but never more than 1 s worth at once.
        s.credit = Math.min(s.credit + s.packetsPerSecond * dt, s.packetsPerSecond);
        while (s.credit >= 1) {
          pub.socket.send(nextPacket(s, now));
          s.credit -= 1;
          sent++;
        }
      }
    }
  }
}
setInterval(pump, 5);

function bindReceiver(): Promise<number> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  socket.on('error', () => socketErrors++);
  const stats = newReceived();
  socket.on('message', (msg) => onPacket(stats, msg, process.hrtime.bigint(), SAMPLE_EVERY));
  return new Promise((resolve) =>
    socket.bind(0, '127.0.0.1', () => {
      const port = socket.address().port;
      unclaimed.set(port, { socket, stats });
      resolve(port);
    }),
  );
}

/** ICMP errors a connected socket reports (the port it sends to is gone); counted, never fatal. */
let socketErrors = 0;

function connected(port: number): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
  socket.on('error', () => socketErrors++);
  socket.on('message', () => undefined); // RTCP from the SFU
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => socket.connect(port, '127.0.0.1', () => resolve(socket))));
}

type Msg = { cmd: string; variant?: string; receivers?: number[]; publishers?: { port: number; streams: { kind: 'audio' | 'video'; ssrc: number }[] }[]; index?: number; lessons?: number };

parentPort!.on('message', (msg: Msg) => {
  void (async () => {
    if (msg.cmd === 'bind') {
      parentPort!.postMessage({ ports: [await bindReceiver(), await bindReceiver()] });
    } else if (msg.cmd === 'add') {
      const list = lessons.get(msg.variant!) ?? [];
      lessons.set(msg.variant!, list);
      const publishers = await Promise.all(msg.publishers!.map(async (p) => ({ socket: await connected(p.port), streams: p.streams.map((s) => newStream(s.kind, s.ssrc)) })));
      const received = msg.receivers!.map((port) => {
        const r = unclaimed.get(port)!;
        unclaimed.delete(port);
        return r.stats;
      });
      list.push({ index: msg.index!, publishers, received });
      parentPort!.postMessage({ added: list.length });
    } else if (msg.cmd === 'run') {
      active = (lessons.get(msg.variant!) ?? []).filter((l) => l.index < msg.lessons!);
      if (active.length > 0) measured = active;
      for (const l of active) for (const p of l.publishers) for (const s of p.streams) s.credit = 0;
      last = process.hrtime.bigint();
      parentPort!.postMessage({ running: active.length });
    } else if (msg.cmd === 'reset') {
      for (const l of measured) for (const r of l.received) (r.packets = 0), (r.latenciesMs = []), r.highestSeq.clear();
      sent = 0;
      parentPort!.postMessage({ reset: true });
    } else if (msg.cmd === 'collect') {
      let expected = 0;
      let received = 0;
      const latenciesMs: number[] = [];
      for (const l of measured) {
        for (const r of l.received) {
          const x = lossOf(r);
          expected += x.expected;
          received += x.received;
          for (const v of r.latenciesMs) latenciesMs.push(v);
        }
      }
      parentPort!.postMessage({ sent, expected, received, latenciesMs, socketErrors });
    }
  })();
});

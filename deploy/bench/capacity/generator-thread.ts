// The RTP sender, on its own thread so sending (the generator's hot loop) and receiving plus
// measuring (the main thread) use both cores. Messages from the main thread:
//   { cmd: 'add', variant, lesson: [{ port, streams: [{ kind, ssrc }] }, ...] }  one lesson's publishers
//   { cmd: 'run', variant, lessons }  send for the first `lessons` lessons of `variant` (0 = stop)
//   { cmd: 'sent' }                   replies { sent } (packets since the last 'sent')
import { createSocket, type Socket } from 'node:dgram';
import { parentPort } from 'node:worker_threads';
import { newStream, nextPacket, type StreamState } from './rtp.ts';

interface Publisher {
  socket: Socket;
  port: number;
  streams: StreamState[];
}

const lessons = new Map<string, Publisher[][]>();
let active: Publisher[][] = [];
let sent = 0;
let last = process.hrtime.bigint();

function pump(): void {
  const now = process.hrtime.bigint();
  const dt = Number(now - last) / 1e9;
  last = now;
  for (const lesson of active) {
    for (const pub of lesson) {
      for (const s of pub.streams) {
        // After a scheduling stall (shared CPU) catch up, but never more than 1 s worth at once.
        s.credit = Math.min(s.credit + s.packetsPerSecond * dt, s.packetsPerSecond);
        while (s.credit >= 1) {
          pub.socket.send(nextPacket(s, now), pub.port, '127.0.0.1');
          s.credit -= 1;
          sent++;
        }
      }
    }
  }
}

setInterval(pump, 5);

parentPort!.on('message', (msg: { cmd: string; variant?: string; lesson?: { port: number; streams: { kind: 'audio' | 'video'; ssrc: number }[] }[]; lessons?: number }) => {
  if (msg.cmd === 'add') {
    const list = lessons.get(msg.variant!) ?? [];
    lessons.set(msg.variant!, list);
    const pubs = msg.lesson!.map((p) => {
      const socket = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
      socket.bind(0, '127.0.0.1');
      return { socket, port: p.port, streams: p.streams.map((s) => newStream(s.kind, s.ssrc)) };
    });
    list.push(pubs);
    parentPort!.postMessage({ added: list.length });
  } else if (msg.cmd === 'run') {
    active = (lessons.get(msg.variant!) ?? []).slice(0, msg.lessons);
    for (const l of active) for (const p of l) for (const s of p.streams) s.credit = 0;
    last = process.hrtime.bigint();
    parentPort!.postMessage({ running: active.length });
  } else if (msg.cmd === 'sent') {
    parentPort!.postMessage({ sent });
    sent = 0;
  }
});

// A sink for the forwarded media of lessons the generator does not read (all but every
// --sample-every-th): UDP sockets whose thread blocks (Atomics.wait) during a measurement, so the
// kernel drops what reaches their tiny receive buffers and no JS runs per packet. The SFU's work
// per forwarded packet is the same as for a read socket. Messages from the main thread:
//   { cmd: 'bind' }                 -> { ports: [p0, p1] }
//   { cmd: 'block', flag }          block until Atomics.notify on `flag` (Int32Array over a SharedArrayBuffer) with flag[0] = 0
import { createSocket, type Socket } from 'node:dgram';
import { parentPort } from 'node:worker_threads';

const sockets: Socket[] = [];

function bind(): Promise<number> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4096 });
  socket.on('message', () => undefined);
  socket.on('error', () => undefined);
  sockets.push(socket);
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket.address().port)));
}

parentPort!.on('message', (msg: { cmd: string; flag?: Int32Array }) => {
  void (async () => {
    if (msg.cmd === 'bind') parentPort!.postMessage({ ports: [await bind(), await bind()] });
    else if (msg.cmd === 'block') {
      parentPort!.postMessage({ blocking: true });
      // Bounded: never more than 10 minutes, whatever the main thread does.
      const until = Date.now() + 600_000;
      while (Atomics.load(msg.flag!, 0) === 1 && Date.now() < until) Atomics.wait(msg.flag!, 0, 1, 1000);
    }
  })();
});

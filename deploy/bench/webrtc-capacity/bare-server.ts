// Bare mediasoup behind the smallest JSON-over-WebSocket API the load generator speaks — the
// same subset of Duet's signaling messages (hello, sfu.createTransport / connectTransport /
// produce / consume / resumeConsumer, sfu.newProducer), the same worker binary, codecs
// (MEDIA_CODECS), WebRtcServer and transport options as Duet's SFU layer: the only difference from
// Duet is Duet's signaling and room layer (tokens, seats, API checks, rate caps, hooks).
//
//   node deploy/bench/webrtc-capacity/bare-server.ts   # prints BARE_READY {"url":"ws://…"}
//
// Bench only: no authentication (the token is "<room>:<peer>"), loopback only, nothing validated
// beyond what mediasoup checks. Never run it anywhere but inside the bench's network namespace.
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { WebSocketServer, type WebSocket } from 'ws';
import { loadMediaConfig, MEDIA_CODECS } from '@duet/sfu';

const worker = await mediasoup.createWorker({ logLevel: 'error', ...(process.env.MEDIASOUP_WORKER_BIN ? { workerBin: process.env.MEDIASOUP_WORKER_BIN } : {}) });
// The same UDP socket buffers as a Duet media node (its config's MEDIA_SOCKET_BUFFER_BYTES).
const { socketBufferBytes } = loadMediaConfig({ MEDIA_SOCKET_BUFFER_BYTES: process.env.MEDIA_SOCKET_BUFFER_BYTES });
const webRtcServer = await worker.createWebRtcServer({
  listenInfos: (['udp', 'tcp'] as const).map((protocol) => ({ protocol, ip: '127.0.0.1', ...(protocol === 'udp' ? { recvBufferSize: socketBufferBytes, sendBufferSize: socketBufferBytes } : {}) })),
});

interface Peer {
  ws: WebSocket;
  transports: Map<string, types.WebRtcTransport>;
  producers: Map<string, types.Producer>;
  consumers: Map<string, types.Consumer>;
}
interface Room {
  router: types.Router;
  peers: Map<string, Peer>;
}
const rooms = new Map<string, Promise<Room>>();
const roomOf = (name: string) => {
  let r = rooms.get(name);
  if (!r) {
    r = worker.createRouter({ mediaCodecs: MEDIA_CODECS }).then((router) => ({ router, peers: new Map() }));
    rooms.set(name, r);
  }
  return r;
};

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 * 1024 });
wss.on('connection', (ws) => {
  let room: Room | undefined;
  let peer: Peer | undefined;
  let peerName = '';
  const send = (m: unknown) => ws.send(JSON.stringify(m));
  const others = () => [...(room?.peers ?? new Map<string, Peer>()).entries()].filter(([n]) => n !== peerName).map(([, p]) => p);
  async function handle(m: Record<string, any>): Promise<unknown> {
    if (m.t === 'ping') return { now: Date.now() };
    if (m.t === 'hello') {
      const [roomName, name] = String(m.token).split(':');
      room = await roomOf(roomName!);
      peerName = name!;
      peer = { ws, transports: new Map(), producers: new Map(), consumers: new Map() };
      room.peers.set(peerName, peer);
      const producers = others().flatMap((p) => [...p.producers.values()].map((pr) => ({ producerId: pr.id, kind: pr.kind })));
      return { mode: 'sfu', sfu: { routerRtpCapabilities: room.router.rtpCapabilities, producers } };
    }
    if (!room || !peer) throw new Error('hello first');
    switch (m.t) {
      case 'sfu.createTransport': {
        const t = await room.router.createWebRtcTransport({ webRtcServer, enableUdp: true, enableTcp: true, preferUdp: true, initialAvailableOutgoingBitrate: 1_000_000, appData: { direction: m.direction } });
        peer.transports.set(t.id, t);
        return { transportId: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters };
      }
      case 'sfu.connectTransport':
        await peer.transports.get(m.transportId)!.connect({ dtlsParameters: m.dtlsParameters });
        return {};
      case 'sfu.produce': {
        const pr = await peer.transports.get(m.transportId)!.produce({ kind: m.kind, rtpParameters: m.rtpParameters });
        peer.producers.set(pr.id, pr);
        for (const o of others()) o.ws.send(JSON.stringify({ t: 'sfu.newProducer', producerId: pr.id, kind: pr.kind, source: m.source, role: 'peer' }));
        return { producerId: pr.id };
      }
      case 'sfu.consume': {
        const recv = [...peer.transports.values()].find((t) => t.appData.direction === 'recv')!;
        const c = await recv.consume({ producerId: m.producerId, rtpCapabilities: m.rtpCapabilities, paused: true });
        peer.consumers.set(c.id, c);
        return { consumerId: c.id, producerId: m.producerId, kind: c.kind, source: c.kind === 'audio' ? 'microphone' : 'camera', rtpParameters: c.rtpParameters };
      }
      case 'sfu.resumeConsumer':
        await peer.consumers.get(m.consumerId)!.resume();
        return {};
      default:
        throw new Error(`unsupported ${m.t}`);
    }
  }
  ws.on('message', (data) => {
    let m: Record<string, any>;
    try {
      m = JSON.parse(String(data));
    } catch {
      return;
    }
    handle(m).then(
      (data) => send({ t: 'response', id: m.id, ok: true, data }),
      (err: Error) => send({ t: 'response', id: m.id, ok: false, error: { code: 'media_error', message: err.message } }),
    );
  });
  ws.on('close', () => {
    if (!peer || !room) return;
    for (const t of peer.transports.values()) t.close();
    room.peers.delete(peerName);
  });
});
await new Promise((r) => wss.once('listening', r));
const { port } = wss.address() as { port: number };
process.stdout.write(`BARE_READY ${JSON.stringify({ url: `ws://127.0.0.1:${port}`, workerPid: worker.pid })}\n`);
process.on('SIGTERM', () => {
  worker.close();
  process.exit(0);
});

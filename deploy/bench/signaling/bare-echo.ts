// The signaling bench's baseline: a bare `ws` server with the same subprotocol and the same
// handshake shape (connect → one msgpack frame → one msgpack reply), no authentication, no room.
// Same client processes, same hold levels and churn rate as the media node, in the same run.
//   node --expose-gc --import ./probe.ts bare-echo.ts <port>
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, structuredClone: false, mapsAsObjects: true });
const port = Number(process.argv[2] ?? 0);
const http = createServer((_req, res) => res.writeHead(200).end('ok'));
const wss = new WebSocketServer({ server: http, path: '/ws', maxPayload: 256 * 1024, handleProtocols: (offered) => (offered.has('duet.v1.msgpack') ? 'duet.v1.msgpack' : false) });
wss.on('connection', (ws) => {
  ws.on('message', (data: Buffer) => {
    const msg = packr.unpack(data) as { t?: string; id?: number };
    ws.send(packr.pack({ t: 'response', id: msg.id, ok: true, req: msg.t, data: {} }));
    if (msg.t === 'leave') ws.close(1000, 'left');
  });
  ws.on('error', () => {});
});
http.listen(port, '127.0.0.1', () => console.log(`listening ${port}`));
process.once('SIGTERM', () => process.exit(0));

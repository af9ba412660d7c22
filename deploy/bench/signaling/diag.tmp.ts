import { WebSocket } from 'ws';
import { Packr } from 'msgpackr';
import { startDuetStack } from './stack.ts';
const packr = new Packr({ useRecords: false, structuredClone: false, mapsAsObjects: true });
const s = await startDuetStack();
try {
  const seats = await s.seats(20);
  for (const seat of seats.slice(0, 12)) {
    const t0 = performance.now();
    const ws = new WebSocket(s.wsUrl, ['duet.v1.msgpack']);
    const msgs: string[] = [];
    await new Promise<void>((res) => {
      ws.on('open', () => { msgs.push(`open ${(performance.now() - t0).toFixed(1)}`); ws.send(packr.pack({ t: 'hello', id: 1, v: 1, token: seat.token, ticket: seat.ticket })); });
      ws.on('message', (d: Buffer) => { const m = packr.unpack(d) as any; msgs.push(`${m.t}${m.t === 'response' ? (m.ok ? ' ok' : ' ' + m.error?.code) : ''} ${(performance.now() - t0).toFixed(1)}`); if (m.t === 'response') res(); });
    });
    console.log(msgs.join(' | '));
  }
  const t1 = performance.now();
  await fetch(`${s.apiUrl}/readyz`);
  console.log('api readyz', (performance.now() - t1).toFixed(1));
} finally { await s.stop(); }

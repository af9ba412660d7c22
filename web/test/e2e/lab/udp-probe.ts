// A UDP probe for the network lab: proves what a profile does to packets (tests, docs).
//   node udp-probe.ts server <ip> <port>
//   node udp-probe.ts echo <ip> <port> <count> <interval-ms>     -> {sent, received, lossPct, rtt}
//   node udp-probe.ts down <ip> <port> <kbit/s> <ms>             -> {kbps} the server's blast, as received
//   node udp-probe.ts up <ip> <port> <kbit/s> <ms>               -> {kbps} our blast, as the server received it
// One JSON line on stdout. Run each side in its namespace (NetLink.ns.enter / NetLab.servers.enter).
import { createSocket, type RemoteInfo } from 'node:dgram';

const [mode, ip, portArg, a, b] = process.argv.slice(2);
const port = Number(portArg);
const PAYLOAD = 1000;

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;
}

function blast(send: (buf: Buffer) => void, kbit: number, ms: number): Promise<void> {
  const perTick = (kbit * 1000) / 8 / PAYLOAD / 100; // packets per 10 ms
  const buf = Buffer.alloc(PAYLOAD, 'x');
  buf[0] = 'D'.charCodeAt(0);
  return new Promise((done) => {
    let due = 0;
    const started = Date.now();
    const t = setInterval(() => {
      due += perTick;
      for (; due >= 1; due--) send(buf);
      if (Date.now() - started >= ms) (clearInterval(t), done());
    }, 10);
  });
}

if (mode === 'server') {
  const s = createSocket('udp4');
  let sink = 0;
  s.on('message', (msg: Buffer, from: RemoteInfo) => {
    const kind = String.fromCharCode(msg[0]!);
    if (kind === 'E') s.send(msg, from.port, from.address);
    else if (kind === 'D') sink += msg.length;
    else if (kind === 'S') sink = 0;
    else if (kind === 'R') s.send(`R${sink}`, from.port, from.address);
    else if (kind === 'B') {
      const [kbit, ms] = msg.subarray(1).toString().split(' ').map(Number);
      void blast((buf) => s.send(buf, from.port, from.address), kbit!, ms!);
    }
  });
  s.bind(port, ip, () => console.log('PROBE_READY'));
} else {
  const s = createSocket('udp4');
  s.connect(port, ip);
  await new Promise((r) => s.once('connect', r));
  const out = (o: unknown) => (console.log(JSON.stringify(o)), s.close());
  if (mode === 'echo') {
    const count = Number(a ?? 200);
    const interval = Number(b ?? 5);
    const sentAt = new Map<number, number>();
    const rtts: number[] = [];
    s.on('message', (msg) => {
      const n = msg.readUInt32BE(1);
      const t = sentAt.get(n);
      if (t !== undefined) (rtts.push(performance.now() - t), sentAt.delete(n));
    });
    for (let n = 0; n < count; n++) {
      const buf = Buffer.alloc(100);
      buf[0] = 'E'.charCodeAt(0);
      buf.writeUInt32BE(n, 1);
      sentAt.set(n, performance.now());
      s.send(buf);
      await new Promise((r) => setTimeout(r, interval));
    }
    await new Promise((r) => setTimeout(r, 600)); // the late ones (the lab's longest delay is 150 ms + jitter each way)
    rtts.sort((x, y) => x - y);
    const r2 = (x: number) => Math.round(x * 100) / 100;
    out({ sent: count, received: rtts.length, lossPct: r2((100 * (count - rtts.length)) / count), rtt: { min: r2(rtts[0] ?? NaN), p10: r2(quantile(rtts, 0.1)), p50: r2(quantile(rtts, 0.5)), p90: r2(quantile(rtts, 0.9)), max: r2(rtts.at(-1) ?? NaN) } });
  } else if (mode === 'down') {
    const [kbit, ms] = [Number(a), Number(b)];
    let bytes = 0;
    let first = 0;
    let last = 0;
    s.on('message', (msg) => {
      const t = performance.now();
      if (!first) first = t;
      last = t;
      bytes += msg.length;
    });
    s.send(`B${kbit} ${ms}`);
    await new Promise((r) => setTimeout(r, ms + 600));
    out({ kbps: Math.round((bytes * 8) / Math.max(1, last - first)), bytes });
  } else if (mode === 'up') {
    const [kbit, ms] = [Number(a), Number(b)];
    s.send('S');
    await new Promise((r) => setTimeout(r, 50));
    await blast((buf) => s.send(buf), kbit, ms);
    await new Promise((r) => setTimeout(r, 400)); // the queue drains (tbf holds at most 200 ms)
    const reply = new Promise<string>((r) => s.once('message', (m) => r(m.toString())));
    s.send('R');
    const bytes = Number((await reply).slice(1));
    out({ kbps: Math.round((bytes * 8) / ms), bytes });
  } else {
    console.error('usage: udp-probe.ts server|echo|down|up <ip> <port> ...');
    process.exit(2);
  }
}

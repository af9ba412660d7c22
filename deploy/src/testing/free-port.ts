// A loopback port that was free a moment ago, for starting several services in tests.
//
// Picked above the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768–60999 by default)
// and above every range the stack binds by itself (mediasoup 10000–59999, the recorder's RTP pairs
// 20000–39998, coturn's relays 50000–59999): a port from listen(0) comes from the ephemeral range,
// where any outgoing connection of a test running beside this one can take it between the check
// and the service's own listen (EADDRINUSE, seen in the two-lane suite). Both TCP and UDP are
// checked (coturn and the signaling node's peers listen on both), and a port handed out once is not
// handed out again by this process.
import { createServer } from 'node:http';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

const handedOut = new Set<number>();

/** The first port above the ephemeral range and the stack's own ranges. */
function lowestPort(): number {
  try {
    const [, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (high && high >= 59999 && high < 65000) return high + 1;
    if (high && high < 59999) return 60000;
  } catch {
    // not Linux: the default range's end
  }
  return 61000;
}

const canListenTcp = (port: number, host: string) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });

const canBindUdp = (port: number, host: string) =>
  new Promise<boolean>((resolve) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.once('error', () => (s.close(), resolve(false)));
    s.bind(port, host, () => s.close(() => resolve(true)));
  });

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const low = lowestPort();
  const span = 65535 - low + 1;
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = low + Math.floor(Math.random() * span);
    if (handedOut.has(port)) continue;
    if ((await canListenTcp(port, host)) && (await canBindUdp(port, host))) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port above ${low} on ${host}`);
}

// RTP/RTCP port pairs for FFmpeg inputs: an even port and the next one, both free on loopback.
// Ports handed out stay reserved in this process until released, so two tracks never share one
// even while an FFmpeg restarts on the same pair.
import { createSocket } from 'node:dgram';

const reserved = new Set<number>();

function tryBind(port: number, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, address, () => s.close(() => resolve(true)));
  });
}

export async function allocatePortPair(address: string, min = 20000, max = 39998): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = min + 2 * Math.floor(Math.random() * ((max - min) / 2));
    if (reserved.has(port)) continue;
    if ((await tryBind(port, address)) && (await tryBind(port + 1, address))) {
      reserved.add(port);
      return port;
    }
  }
  throw new Error('no free UDP port pair for RTP');
}

export function releasePortPair(port: number): void {
  reserved.delete(port);
}

/** True once some process listens on UDP `port` at 127.0.0.1 (read from /proc/net/udp). */
export async function udpPortBound(port: number): Promise<boolean> {
  const { readFile } = await import('node:fs/promises');
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const table = await readFile('/proc/net/udp', 'utf8').catch(() => '');
  return table.split('\n').some((line) => {
    const local = line.trim().split(/\s+/)[1];
    return local !== undefined && local.endsWith(hex);
  });
}

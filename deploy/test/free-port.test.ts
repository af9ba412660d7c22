import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { freePort } from '../src/testing/free-port.ts';

describe('freePort', () => {
  it('hands out distinct ports above the ephemeral range that a service can listen on', async () => {
    const [, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(20);
    for (const p of ports) {
      expect(p).toBeGreaterThan(Math.max(high!, 59999));
      expect(p).toBeLessThanOrEqual(65535);
    }
    const srv = createServer();
    await new Promise<void>((resolve, reject) => (srv.once('error', reject), srv.listen(ports[0], '127.0.0.1', resolve)));
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  });
});

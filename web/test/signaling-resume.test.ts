// @vitest-environment node
// The room's SignalingClient resuming after a real cut, against the real API and media node
// (in this process): the client reaches the node and the API through a relay that, while the
// link is "cut", drops every byte both ways (nothing is delivered later, no FIN gets through:
// what a dead link does). The client must notice (ping timeout), keep trying, and be back soon
// after the link is: a question to the API that never answers (sent on the cut link) must not
// hold the resume (in the lab it held it 13 s past the end of a 20-s cut).
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignalingClient } from '../src/lib/signaling-client.ts';
import { startNodeStack, type NodeStack } from '../../signaling/test/support/stack.ts';

/** A TCP relay whose link can be cut (bytes dropped both ways, closes not passed on) and restored. */
interface CutRelay {
  port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

async function cutRelay(target: number): Promise<CutRelay> {
  let down = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = tcpConnect(target, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => undefined);
    }
    inbound.on('data', (d) => void (!down && outbound.write(d)));
    outbound.on('data', (d) => void (!down && inbound.write(d)));
    // A close on a cut link never reaches the other end.
    inbound.on('close', () => void (!down && outbound.destroy()));
    outbound.on('close', () => void (!down && inbound.destroy()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    cut: () => void (down = true),
    restore: () => void (down = false),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

let stack: NodeStack;
let nodeRelay: CutRelay;
let apiRelay: CutRelay;

beforeAll(async () => {
  stack = await startNodeStack({ RECONNECT_GRACE_MS: '60000' });
  [nodeRelay, apiRelay] = await Promise.all([cutRelay(Number(new URL(stack.wsUrl).port)), cutRelay(Number(new URL(stack.apiUrl).port))]);
}, 60_000);

afterAll(async () => {
  await Promise.all([nodeRelay?.close(), apiRelay?.close()]);
  await stack?.stop();
});

describe('SignalingClient over a cut link', () => {
  it('resumes within seconds of the link coming back, though the API question it asked during the cut never returns', async () => {
    const lesson = await stack.lesson();
    const client = new SignalingClient();
    const events: string[] = [];
    let resumedAt = 0;
    client.onReconnecting(() => events.push('reconnecting'));
    client.onResumed(() => {
      events.push('resumed');
      resumedAt = Date.now();
    });
    client.onClose((code, reason) => events.push(`closed ${code} ${reason}`));
    // Where is the lesson now? Asked of the API through the same link (as the room's POST /join is).
    let asked = 0;
    client.onRelocate(async () => {
      asked++;
      const res = await fetch(`http://127.0.0.1:${apiRelay.port}/healthz`);
      return res.ok ? `ws://127.0.0.1:${nodeRelay.port}${new URL(stack.wsUrl).pathname}` : null;
    });
    const url = `ws://127.0.0.1:${nodeRelay.port}${new URL(stack.wsUrl).pathname}`;
    const hello = await client.connect(url, lesson.studentToken);
    expect(hello.resumed).toBe(false);
    try {
      nodeRelay.cut();
      apiRelay.cut();
      // The client notices by its pings (8 s without an answer), then tries again and again.
      const noticed = Date.now();
      while (!events.includes('reconnecting') && Date.now() - noticed < 15_000) await new Promise((r) => setTimeout(r, 100));
      expect(events).toContain('reconnecting');
      // Long enough for a resume attempt to fail and the API to be asked (on the cut link).
      while (asked === 0 && Date.now() - noticed < 25_000) await new Promise((r) => setTimeout(r, 100));
      expect(asked).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(events).toEqual(['reconnecting']);

      nodeRelay.restore();
      apiRelay.restore();
      const backAt = Date.now();
      while (!resumedAt && Date.now() - backAt < 15_000) await new Promise((r) => setTimeout(r, 100));
      expect(events).toEqual(['reconnecting', 'resumed']);
      // One resume attempt (≤ 4 s), the pause between attempts and the short wait for the API.
      expect(resumedAt - backAt).toBeLessThan(7_000);
    } finally {
      client.close();
    }
  }, 60_000);
});

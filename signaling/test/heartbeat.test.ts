// The node's socket heartbeat: every socket is pinged once per SIGNALING_HEARTBEAT_MS, a socket
// that did not answer a whole interval is terminated (half-open TCP), and the pings of many
// sockets are spread across the interval instead of going out in one burst (a burst to thousands
// of sockets held the event loop and delayed the joins behind it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SUBPROTOCOL_JSON } from '../src/protocol/index.ts';
import { startNodeStack, type NodeStack } from './support/stack.ts';

const INTERVAL_MS = 1600;
let stack: NodeStack;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  stack = await startNodeStack({ SIGNALING_HEARTBEAT_MS: String(INTERVAL_MS), SIGNALING_HELLO_TIMEOUT_MS: '30000' });
}, 60_000);
afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  await stack?.stop();
});

function open(autoPong: boolean): Promise<{ ws: WebSocket; pings: number[]; closedAt: Promise<number> }> {
  const ws = new WebSocket(stack.wsUrl, [SUBPROTOCOL_JSON], { autoPong });
  sockets.push(ws);
  const pings: number[] = [];
  ws.on('ping', () => pings.push(performance.now()));
  const closedAt = new Promise<number>((r) => ws.once('close', () => r(performance.now())));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, pings, closedAt }));
    ws.once('error', reject);
  });
}

describe('socket heartbeat', () => {
  it('terminates a socket that stops answering pings, keeps the others, and spreads the pings over the interval', async () => {
    const live = await Promise.all(Array.from({ length: 32 }, () => open(true)));
    const dead = await open(false);
    const t0 = performance.now();
    const deadline = t0 + 2 * INTERVAL_MS + 1500;
    const closedAt = await Promise.race([dead.closedAt, new Promise<number>((r) => setTimeout(() => r(Number.NaN), deadline - t0))]);
    // Pinged once (unanswered), terminated at its next turn: within two intervals.
    expect(Number.isNaN(closedAt), 'the silent socket was not terminated within two intervals').toBe(false);
    expect(dead.pings.length).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + 2 * INTERVAL_MS + 300 - performance.now())));
    for (const s of live) {
      expect(s.ws.readyState).toBe(WebSocket.OPEN);
      expect(s.pings.length).toBeGreaterThanOrEqual(1);
    }
    // The first pings of 32 sockets opened together: in one burst they would all arrive within a
    // few ms; spread over 16 ticks of 100 ms they form many separate groups.
    const first = live.map((s) => s.pings[0]!).sort((a, b) => a - b);
    let groups = 1;
    for (let i = 1; i < first.length; i++) if (first[i]! - first[i - 1]! > 40) groups++;
    expect(groups).toBeGreaterThanOrEqual(8);
    // Still once per interval each: no socket pinged twice within half an interval.
    for (const s of live) for (let i = 1; i < s.pings.length; i++) expect(s.pings[i]! - s.pings[i - 1]!).toBeGreaterThan(INTERVAL_MS / 2);
  }, 30_000);
});

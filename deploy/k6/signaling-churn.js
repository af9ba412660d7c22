// k6: signaling churn against a running Duet (API + media node), for operators. Each iteration is
// one lesson: the marketplace creates it and mints both seats' tokens, both participants go through
// POST /join, open the media node's WebSocket with the JSON subprotocol (`duet.v1.json`), send
// `hello` and wait for the seated reply (timed: `signaling_handshake`), stay HOLD_MS, then `leave`.
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e API_KEY=… -e RATE=50 -e DURATION=60s deploy/k6/signaling-churn.js
// Env: BASE_URL (the API), API_KEY (a marketplace key), RATE (joins per second, default 20: two
// per lesson), DURATION (default 30s), HOLD_MS (seated time per participant, default 1000),
// P99_MS (threshold on the handshake p99, default 50), MAX_VUS (default 200), SUMMARY_FILE.
// The API's per-key limit (RATE_LIMIT_KEY_MAX, default 6000 a minute) caps a run at ~33 lessons/s (66 joins/s)
// (3 key calls each): raise it on the stack under test for higher rates. Joins come from this
// machine's one address: keep RATE × (HOLD_MS/1000 + 0.1) under SIGNALING_MAX_SOCKETS_PER_ADDRESS
// (200), or raise that on the node under test.
import http from 'k6/http';
import { check, fail } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { auth, createLesson } from './lesson.js';
import { WebSocket } from 'k6/websockets';

const BASE = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const KEY = __ENV.API_KEY;
if (!KEY) throw new Error('API_KEY is required');
const RATE = Number(__ENV.RATE || 20);
const HOLD_MS = Number(__ENV.HOLD_MS || 1000);
const HANDSHAKE_TIMEOUT_MS = 10000;

export const options = {
  scenarios: {
    churn: {
      executor: 'constant-arrival-rate',
      rate: Math.max(1, Math.round(RATE / 2)), // lessons per second, two joins each
      timeUnit: '1s',
      duration: __ENV.DURATION || '30s',
      preAllocatedVUs: Math.min(Number(__ENV.MAX_VUS || 200), Math.max(4, Math.ceil(RATE * (HOLD_MS / 1000 + 0.5)))),
      maxVUs: Number(__ENV.MAX_VUS || 200),
      gracefulStop: '15s',
    },
  },
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(99)', 'max'],
  thresholds: { checks: ['rate==1'], signaling_handshake: [`p(99)<${Number(__ENV.P99_MS || 50)}`] },
};

const handshake = new Trend('signaling_handshake', true);
const seated = new Counter('signaling_seated');

function grant(id, role) {
  const minted = http.post(`${BASE}/v1/sessions/${id}/tokens`, JSON.stringify({ role }), auth(KEY));
  if (!check(minted, { 'token minted': (r) => r.status === 201 })) fail(`mint: ${minted.status} ${minted.body}`);
  const token = minted.json('token');
  const joined = http.post(`${BASE}/v1/sessions/${id}/join`, '{}', auth(token));
  if (!check(joined, { 'joined': (r) => r.status === 200 })) fail(`join: ${joined.status} ${joined.body}`);
  return { token, ticket: joined.json('seat_ticket'), url: joined.json('signaling_url') };
}

/** connect → hello → seated reply (timed) → HOLD_MS → leave; the server closes the socket. */
function participate(seat) {
  const start = Date.now();
  const ws = new WebSocket(seat.url, 'duet.v1.json');
  let done = false;
  let closer;
  const giveUp = setTimeout(() => {
    check(null, { 'seated in time': () => false });
    done = true;
    ws.close();
  }, HANDSHAKE_TIMEOUT_MS);
  ws.onopen = () => ws.send(JSON.stringify({ t: 'hello', id: 1, v: 1, token: seat.token, ticket: seat.ticket }));
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.t === 'mode' && msg.mode === 'p2p') ws.send(JSON.stringify({ t: 'p2p.status', id: 2, state: 'connected' }));
    if (msg.t !== 'response' || msg.id !== 1 || done) return;
    done = true;
    clearTimeout(giveUp);
    const ok = check(msg, { 'seated': (m) => m.ok === true });
    if (!ok) {
      console.error(`hello refused: ${JSON.stringify(msg.error)}`);
      return ws.close();
    }
    handshake.add(Date.now() - start);
    seated.add(1);
    setTimeout(() => ws.send(JSON.stringify({ t: 'leave', id: 3 })), HOLD_MS);
    // The node closes the socket after `leave`; never let an iteration hang on it.
    closer = setTimeout(() => ws.close(), HOLD_MS + 5000);
  };
  ws.onerror = (e) => {
    if (!done) check(null, { 'socket without error': () => false });
    console.error(`websocket error: ${e.error}`);
  };
  ws.onclose = () => {
    clearTimeout(giveUp);
    clearTimeout(closer);
  };
  return ws;
}

export default function () {
  const now = Date.now();
  const n = `${__VU}-${__ITER}-${now}`;
  const id = createLesson(BASE, KEY, `k6 churn ${n}`, n);
  const seats = [grant(id, 'tutor'), grant(id, 'student')];
  for (const seat of seats) participate(seat);
}

export function handleSummary(data) {
  return __ENV.SUMMARY_FILE ? { [__ENV.SUMMARY_FILE]: JSON.stringify(data) } : {};
}

// k6: the marketplace path against a running Duet API — create a lesson that starts now, mint a
// join token for each participant, and join both (what a marketplace + two browsers do).
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e API_KEY=… deploy/k6/marketplace-join.js
// Env: BASE_URL, API_KEY, VUS (default 10), DURATION (default 30s), SUMMARY_FILE (JSON summary).
import http from 'k6/http';
import { check, fail } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { auth, createLesson } from './lesson.js';

const BASE = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const KEY = __ENV.API_KEY;
if (!KEY) throw new Error('API_KEY is required');

export const options = {
  vus: Number(__ENV.VUS || 10),
  duration: __ENV.DURATION || '30s',
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(99)', 'max'],
  thresholds: { checks: ['rate==1'] },
};

const joinDuration = new Trend('join_duration', true);
const joins = new Counter('joins');

export default function () {
  const n = `${__VU}-${__ITER}`;
  const id = createLesson(BASE, KEY, `k6 lesson ${n}`, n);
  for (const role of ['tutor', 'student']) {
    const minted = http.post(`${BASE}/v1/sessions/${id}/tokens`, JSON.stringify({ role }), auth(KEY));
    if (!check(minted, { 'token minted': (r) => r.status === 201 })) fail(`mint: ${minted.status} ${minted.body}`);
    const joined = http.post(`${BASE}/v1/sessions/${id}/join`, '{}', auth(minted.json('token')));
    check(joined, { 'joined': (r) => r.status === 200 && typeof r.json('signaling_url') === 'string' });
    joinDuration.add(joined.timings.duration);
    joins.add(1);
  }
}

export function handleSummary(data) {
  return __ENV.SUMMARY_FILE ? { [__ENV.SUMMARY_FILE]: JSON.stringify(data) } : {};
}

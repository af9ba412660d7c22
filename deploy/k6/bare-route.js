// k6: the same load shape against a bare Fastify route (the baseline the API join is compared to).
// Env: BASE_URL, VUS, DURATION, SUMMARY_FILE.
import http from 'k6/http';
import { check } from 'k6';

const BASE = __ENV.BASE_URL || 'http://127.0.0.1:8081';

export const options = {
  vus: Number(__ENV.VUS || 10),
  duration: __ENV.DURATION || '30s',
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(99)', 'max'],
  thresholds: { checks: ['rate==1'] },
};

export default function () {
  const res = http.post(`${BASE}/bare`, '{}', { headers: { authorization: 'Bearer x', 'content-type': 'application/json' } });
  check(res, { ok: (r) => r.status === 200 });
}

export function handleSummary(data) {
  return __ENV.SUMMARY_FILE ? { [__ENV.SUMMARY_FILE]: JSON.stringify(data) } : {};
}

// Renders docs/events.md from the event catalogue (catalogue.ts). Run
// `node api/src/events/events-doc.ts` to rewrite the page; api/test/events-doc.test.ts fails when
// the committed page differs from this output.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EVENT_CATALOGUE, examplePayload } from './catalogue.ts';
import { EVENT_TYPES, WEBHOOK_API_VERSION } from './event.ts';

export const EVENTS_DOC_PATH = fileURLToPath(new URL('../../../docs/events.md', import.meta.url));


export function renderEventsDoc(): string {
  const out: string[] = [];
  out.push(
    '# Webhook events',
    '',
    '<!-- Generated from api/src/events/catalogue.ts by `node api/src/events/events-doc.ts`; do not edit by hand. -->',
    '',
    'Duet POSTs every event below to each webhook endpoint that takes its type: the endpoints in',
    '`WEBHOOK_ENDPOINTS` (env) and those managed through `POST /v1/webhook-endpoints`. Each delivery is one',
    'JSON object:',
    '',
    '| field | what |',
    '|---|---|',
    '| `id` | the event id (`evt_…`): dedupe on it — a delivery may come more than once |',
    '| `type` | one of the types below |',
    `| \`api_version\` | the payload shape's version, now \`${WEBHOOK_API_VERSION}\` (a new date only when a field is removed or changes type) |`,
    '| `created_at` | when the fact happened (not when it was delivered) |',
    '| `session_id` | the lesson; `null` for account events (`webhook_endpoint.disabled`, `ping`) |',
    "| `metadata` | the lesson's `metadata` as it is when the delivery is sent (absent for account events) |",
    '| `data` | the type\'s own fields, as in the examples |',
    '',
    'Headers: `duet-event-id` (the `id`) and `duet-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.',
    "During a secret roll (`POST /v1/webhook-endpoints/:id/roll-secret`) the header carries two `v1=` values, one per",
    'secret: accept the delivery when any of them matches (compare in constant time, reject a `t` more than 5 minutes',
    'off). `verifyWebhook` in the client does exactly this.',
    '',
    'Answer 2xx quickly. Anything else (or no answer within `WEBHOOK_TIMEOUT_MS`, or a redirect) is retried with',
    'exponential backoff and jitter (`WEBHOOK_RETRY_BASE_MS` doubling up to `WEBHOOK_RETRY_MAX_MS`, each wait a random',
    'point in its upper half) up to `WEBHOOK_MAX_ATTEMPTS` times or `WEBHOOK_MAX_AGE_SECONDS`. An endpoint managed',
    'through the API that has failed for `WEBHOOK_DISABLE_AFTER_DAYS` is disabled (`webhook_endpoint.disabled` to the',
    'others, gauge `duet_webhook_endpoints{state="disabled"}`); `PATCH … {"enabled": true}` turns it back on.',
    '',
    '| type | webhook | what |',
    '|---|---|---|',
  );
  for (const type of EVENT_TYPES) {
    const d = EVENT_CATALOGUE[type];
    out.push(`| [\`${type}\`](#${type.replace(/[._]/g, '')}) | ${d.webhook ? 'yes' : 'no (internal hook)'} | ${d.summary.replaceAll('|', '\\|')} |`);
  }
  for (const type of EVENT_TYPES) {
    const d = EVENT_CATALOGUE[type];
    const payload = examplePayload(type);
    out.push('', `## ${type}`, '', d.summary, '', d.webhook ? '' : 'Not delivered to endpoints: the media node or recorder sends it to the API, which keeps it in the lesson\'s event log.\n', '```json', JSON.stringify(payload, null, 2), '```');
  }
  return `${out.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(EVENTS_DOC_PATH, renderEventsDoc());
  console.log(`wrote ${EVENTS_DOC_PATH}`);
}

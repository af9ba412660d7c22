// The OpenAPI 3.1 `webhooks` section, generated from the event catalogue (api/src/events/
// catalogue.ts — the one source, also behind docs/events.md): one entry per type delivered to
// endpoints, with the delivery envelope, the type's summary and its example payload. The generated
// SDK turns these into its typed webhook event union.
import { EVENT_CATALOGUE, examplePayload } from '../events/catalogue.ts';
import { EVENT_TYPES, WEBHOOK_API_VERSION } from '../events/event.ts';
import { EVENT_ID_HEADER, SIGNATURE_HEADER } from '../events/signature.ts';

const schemaName = (type: string) => `WebhookEvent_${type.replace(/[^A-Za-z0-9]/g, '_')}`;

/** The types the marketplace receives (internal-hook-only types are not webhooks). */
export const WEBHOOK_TYPES = EVENT_TYPES.filter((t) => EVENT_CATALOGUE[t].webhook);

/** Adds `components.schemas.WebhookEvent_*` and the `webhooks` section to an OpenAPI document. */
export function addWebhooks(doc: Record<string, any>): void {
  doc.components ??= {};
  doc.components.schemas ??= {};
  doc.webhooks = {};
  for (const type of WEBHOOK_TYPES) {
    const d = EVENT_CATALOGUE[type];
    const example = examplePayload(type);
    doc.components.schemas[schemaName(type)] = {
      type: 'object',
      description: d.summary,
      required: ['id', 'type', 'api_version', 'created_at', 'session_id', 'data'],
      properties: {
        id: { type: 'string', description: 'Stable event id: deliveries are at least once, dedupe on it' },
        type: { type: 'string', const: type },
        api_version: { type: 'string', description: `The payload shape's version (now ${WEBHOOK_API_VERSION})` },
        created_at: { type: 'string', format: 'date-time', description: 'When the fact happened (not when it was delivered)' },
        session_id: d.account ? { type: 'null' } : { type: 'string' },
        ...(d.account ? {} : { metadata: { type: 'object', additionalProperties: true, description: "The lesson's metadata when the delivery is sent" } }),
        data: { type: 'object', additionalProperties: true },
      },
      additionalProperties: true,
    };
    doc.webhooks[type] = {
      post: {
        operationId: `webhook_${type.replace(/[^A-Za-z0-9]/g, '_')}`,
        summary: d.summary,
        description:
          `Sent to every webhook endpoint that takes \`${type}\`. Verify \`${SIGNATURE_HEADER}: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>\` ` +
          `(two v1 values during a secret roll) over the raw body — the SDK's verifyWebhook — and dedupe on \`${EVENT_ID_HEADER}\` / \`id\`.`,
        parameters: [
          { in: 'header', name: SIGNATURE_HEADER, required: true, schema: { type: 'string' }, example: 't=1796655605,v1=5f0c…' },
          { in: 'header', name: EVENT_ID_HEADER, required: true, schema: { type: 'string' }, example: example.id },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName(type)}` }, example } } },
        responses: { '2XX': { description: 'Received; any other answer (or none within the timeout) is retried with backoff' } },
      },
    };
  }
}

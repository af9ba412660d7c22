// The one definition of a media node's secret (issue 12): hex HMAC-SHA256(INTERNAL_HOOK_SECRET,
// "duet-node-secret/v1:" + NODE_ID). Only node:crypto here, so the media node (which checks the
// API's calls with it), `npm start` and `duet nodes env` import it without the API's config.
import { createHmac } from 'node:crypto';

/** The secret node `nodeId` holds (NODE_SECRET; `duet nodes env <id>` prints it). */
export function deriveNodeSecret(rootSecret: string, nodeId: string): string {
  return createHmac('sha256', rootSecret).update(`duet-node-secret/v1:${nodeId}`).digest('hex');
}

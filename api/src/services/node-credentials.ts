// Per-node identity for media nodes (issue 12, item 6). Every node may share INTERNAL_HOOK_SECRET
// (the "root" internal secret, as before), or hold only its own secret:
//   NODE_SECRET = hex HMAC-SHA256(INTERNAL_HOOK_SECRET, "duet-node-secret/v1:" + NODE_ID)
// It presents `Authorization: Bearer dn1:<node id>:<NODE_SECRET>` and signs its hooks with
// NODE_SECRET plus a `duet-node: <node id>` header. The API derives the expected secret, so it
// stores nothing per node, and a node credential only acts for lessons placed on that node and
// for that node's own registry entry: one leaked node secret does not open the other nodes.
import { timingSafeEqual } from 'node:crypto';
import type { ApiConfig } from '../config.ts';
import { sha256 } from '../config.ts';
import { ApiError } from '../errors.ts';
import { deriveNodeSecret } from './node-secret.ts';

export { deriveNodeSecret };

export const NODE_HEADER = 'duet-node';
const PREFIX = 'dn1:';
const NODE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export type InternalCaller = { kind: 'root' } | { kind: 'node'; nodeId: string };


/** The Bearer credential the API presents to node `nodeId` (its revocation endpoint). */
export function nodeCredential(config: ApiConfig, nodeId: string): string {
  return `${PREFIX}${nodeId}:${deriveNodeSecret(config.internalHookSecret, nodeId)}`;
}

function same(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/** Who is calling an /internal route: the root secret, a node's own credential, or nobody (401). */
export function internalCaller(config: ApiConfig, bearer: string | undefined): InternalCaller {
  if (bearer !== undefined) {
    if (same(bearer, config.internalHookSecret)) return { kind: 'root' };
    if (bearer.startsWith(PREFIX)) {
      const rest = bearer.slice(PREFIX.length);
      const cut = rest.lastIndexOf(':');
      const nodeId = rest.slice(0, cut);
      if (cut > 0 && NODE_ID.test(nodeId) && same(rest.slice(cut + 1), deriveNodeSecret(config.internalHookSecret, nodeId))) {
        return { kind: 'node', nodeId };
      }
    }
  }
  throw new ApiError(401, 'unauthorized', 'the internal secret is missing or not valid');
}

/** The secret a hook's signature is checked with: the node's own when it names itself. */
export function hookSecretFor(config: ApiConfig, nodeHeader: string | undefined): { secret: string; caller: InternalCaller } {
  if (nodeHeader === undefined) return { secret: config.internalHookSecret, caller: { kind: 'root' } };
  if (!NODE_ID.test(nodeHeader)) throw new ApiError(401, 'signature_invalid', `the ${NODE_HEADER} header is not a node id`);
  return { secret: deriveNodeSecret(config.internalHookSecret, nodeHeader), caller: { kind: 'node', nodeId: nodeHeader } };
}

/**
 * A node credential acts only for lessons placed on that node (`mediaNode`), or, for reads and
 * seat checks (`allowUnplaced`), lessons not placed anywhere yet.
 */
export function assertNodeMayAct(caller: InternalCaller, mediaNode: string | null, allowUnplaced: boolean): void {
  if (caller.kind === 'root') return;
  if (mediaNode === caller.nodeId || (mediaNode === null && allowUnplaced)) return;
  throw new ApiError(403, 'node_not_assigned', `this lesson is not placed on media node ${caller.nodeId}`);
}

/** Registry calls (/internal/nodes/:id…) with a node credential must be about that node. */
export function assertSameNode(caller: InternalCaller, nodeId: string): void {
  if (caller.kind === 'node' && caller.nodeId !== nodeId) {
    throw new ApiError(403, 'node_not_assigned', `a credential of media node ${caller.nodeId} cannot act for node ${nodeId}`);
  }
}

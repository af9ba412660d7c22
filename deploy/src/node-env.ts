// What a media node and its recorder hold instead of INTERNAL_HOOK_SECRET (issue 12): their node's
// id and NODE_SECRET, derived by the API's own function (api/src/services/node-secret.ts, the
// one definition), so a leaked media host opens only its own lessons. Used by `npm start`
// (all-in-one.ts) and by `duet nodes env` (compose's node.env, the Kubernetes Secret per node).
import { deriveNodeSecret } from '@duet/api/node-secret';

export const NODE_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export interface NodeEnv {
  NODE_ID: string;
  NODE_SECRET: string;
}

/** NODE_ID + NODE_SECRET for node `nodeId`, from the API's INTERNAL_HOOK_SECRET. */
export function nodeEnv(internalHookSecret: string, nodeId: string): NodeEnv {
  if (!NODE_ID_PATTERN.test(nodeId)) throw new Error(`a node id matches [A-Za-z0-9_.-]{1,64}, got "${nodeId}"`);
  if (!internalHookSecret) throw new Error('INTERNAL_HOOK_SECRET is needed to derive a node secret (the API host\'s env file)');
  return { NODE_ID: nodeId, NODE_SECRET: deriveNodeSecret(internalHookSecret, nodeId) };
}

/** A media node's or recorder's environment: the shared internal secret and the API's own secrets removed, its node credential added. */
export function mediaHostEnv(env: NodeJS.ProcessEnv, node: NodeEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, ...node };
  for (const name of ['INTERNAL_HOOK_SECRET', 'JOIN_TOKEN_SECRET', 'JOIN_TOKEN_VERIFY_SECRETS', 'DUET_API_KEY', 'URL_SIGNING_SECRET', 'TURN_SECRET', 'DATABASE_URL']) {
    delete out[name];
  }
  return out;
}

// What the API presents to a media node's HTTP port (revocations).
import type { ApiConfig } from '../config.ts';

export function nodeCredential(config: ApiConfig, _nodeId: string): string {
  return config.internalHookSecret;
}

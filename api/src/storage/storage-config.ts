// Storage settings from the environment: a local directory by default, S3 when S3_BUCKET is set.
// Problems are returned as a list so the caller reports them with the rest of its configuration.
import { resolve } from 'node:path';

export interface S3StorageConfig {
  kind: 's3';
  bucket: string;
  endpoint: string | null;
  region: string;
  accessKeyId: string | null;
  secretAccessKey: string | null;
  forcePathStyle: boolean;
}

export type StorageConfig = { kind: 'local'; dir: string } | S3StorageConfig;

export function parseStorageConfig(env: NodeJS.ProcessEnv, dataDir: string): { config: StorageConfig; problems: string[] } {
  const problems: string[] = [];
  const bucket = env.S3_BUCKET?.trim();
  if (!bucket) return { config: { kind: 'local', dir: resolve(env.OBJECTS_DIR?.trim() || resolve(dataDir, 'objects')) }, problems };

  const endpoint = env.S3_ENDPOINT?.trim() || null;
  if (endpoint) {
    try {
      const u = new URL(endpoint);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push('S3_ENDPOINT must be an http(s) URL');
    } catch {
      problems.push('S3_ENDPOINT must be an http(s) URL');
    }
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) problems.push('S3_BUCKET is not a valid bucket name');
  const accessKeyId = env.S3_ACCESS_KEY_ID?.trim() || null;
  const secretAccessKey = env.S3_SECRET_ACCESS_KEY?.trim() || null;
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) problems.push('set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither (to use the default AWS credential chain)');
  const fps = env.S3_FORCE_PATH_STYLE?.trim().toLowerCase();
  if (fps && !['true', 'false', '1', '0'].includes(fps)) problems.push('S3_FORCE_PATH_STYLE must be true or false');
  return {
    config: {
      kind: 's3',
      bucket,
      endpoint,
      region: env.S3_REGION?.trim() || 'us-east-1',
      accessKeyId,
      secretAccessKey,
      // Self-hosted stores (MinIO, Ceph) usually need path-style addressing; default to it with a custom endpoint.
      forcePathStyle: fps ? fps === 'true' || fps === '1' : Boolean(endpoint),
    },
    problems,
  };
}

export class StorageConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid storage configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** For processes that only need storage (the recorder): throws StorageConfigError listing every problem. */
export function loadStorageConfig(env: NodeJS.ProcessEnv = process.env, dataDir = env.DUET_DATA_DIR || 'data'): StorageConfig {
  const { config, problems } = parseStorageConfig(env, dataDir);
  if (problems.length) throw new StorageConfigError(problems);
  return config;
}

/**
 * Origins presigned download URLs point at (for the web page's CSP media-src): the endpoint (path
 * style, or the bucket's subdomain of it), or AWS's regional host. Empty for the local store.
 */
export function presignedUrlOrigins(config: StorageConfig): string[] {
  if (config.kind !== 's3') return [];
  if (config.endpoint) {
    const u = new URL(config.endpoint);
    return config.forcePathStyle ? [u.origin] : [u.origin, `${u.protocol}//${config.bucket}.${u.host}`];
  }
  return [`https://${config.bucket}.s3.${config.region}.amazonaws.com`, `https://s3.${config.region}.amazonaws.com`];
}

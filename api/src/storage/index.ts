// @duet/api/storage: object storage for resources, recording segments and recordings.
import { LocalObjectStore } from './local-store.ts';
import { lazyS3ObjectStore } from './lazy-s3-store.ts';
import type { ObjectStore } from './object-store.ts';
import type { StorageConfig } from './storage-config.ts';

export * from './object-store.ts';
export { LocalObjectStore } from './local-store.ts';
export { loadStorageConfig, parseStorageConfig, StorageConfigError, type S3StorageConfig, type StorageConfig } from './storage-config.ts';

/** The S3 store (and its SDK) is loaded on first use, only when S3 is configured. */
export function createObjectStore(config: StorageConfig): ObjectStore {
  return config.kind === 's3' ? lazyS3ObjectStore(config) : new LocalObjectStore(config.dir);
}

// @duet/api/storage: object storage for resources, recording segments and recordings.
import { LocalObjectStore } from './local-store.ts';
import { S3ObjectStore } from './s3-store.ts';
import type { ObjectStore } from './object-store.ts';
import type { StorageConfig } from './storage-config.ts';

export * from './object-store.ts';
export { LocalObjectStore } from './local-store.ts';
export { S3ObjectStore } from './s3-store.ts';
export { loadStorageConfig, parseStorageConfig, StorageConfigError, type S3StorageConfig, type StorageConfig } from './storage-config.ts';

export function createObjectStore(config: StorageConfig): ObjectStore {
  return config.kind === 's3' ? new S3ObjectStore(config) : new LocalObjectStore(config.dir);
}

// Object storage as the recorder uses it: the `@duet/api/storage` implementations (local directory
// by default, S3 when S3_BUCKET is set), the same boundary the API reads recordings from. The
// package index loads @aws-sdk/client-s3 (~45 MB resident) even for a local directory, so the
// recorder imports the pieces itself and loads the S3 store only when S3 is configured.
import { LocalObjectStore } from '../../api/src/storage/local-store.ts';
import type { ObjectStore } from '../../api/src/storage/object-store.ts';
import type { StorageConfig } from '../../api/src/storage/storage-config.ts';

export { LocalObjectStore };
export { ObjectNotFoundError, type ObjectStore } from '../../api/src/storage/object-store.ts';
export { loadStorageConfig } from '../../api/src/storage/storage-config.ts';

export async function createObjectStore(config: StorageConfig): Promise<ObjectStore> {
  if (config.kind !== 's3') return new LocalObjectStore(config.dir);
  const { S3ObjectStore } = await import('../../api/src/storage/s3-store.ts');
  return new S3ObjectStore(config);
}

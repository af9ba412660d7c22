// The S3 store behind a dynamic import: @aws-sdk/client-s3 costs ~45 MB resident, so processes
// that use a local directory (the default) must not load it just by importing @duet/api/storage.
import type { ObjectStore } from './object-store.ts';
import type { S3StorageConfig } from './storage-config.ts';

export function lazyS3ObjectStore(config: S3StorageConfig): ObjectStore & { readonly kind: 's3' } {
  let store: Promise<ObjectStore> | undefined;
  const ready = () => (store ??= import('./s3-store.ts').then(({ S3ObjectStore }) => new S3ObjectStore(config)));
  return {
    kind: 's3',
    put: async (...args) => (await ready()).put(...args),
    putFile: async (...args) => (await ready()).putFile(...args),
    get: async (...args) => (await ready()).get(...args),
    head: async (...args) => (await ready()).head(...args),
    list: async (...args) => (await ready()).list(...args),
    delete: async (...args) => (await ready()).delete(...args),
    presignGet: async (...args) => (await ready()).presignGet!(...args),
  };
}

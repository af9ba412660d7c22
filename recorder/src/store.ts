// Object storage as the recorder uses it: `@duet/api/storage` (local directory by default, S3 when
// S3_BUCKET is set), the same boundary the API reads recordings from.
export { createObjectStore, loadStorageConfig, LocalObjectStore, ObjectNotFoundError, type ObjectStore } from '@duet/api/storage';

// Object storage as the recorder uses it: the `@duet/api/storage` implementations (local directory
// by default, S3 when S3_BUCKET is set), the same boundary the API reads recordings from. The S3
// SDK is loaded only when S3 is configured (it is ~45 MB resident).
export { createObjectStore, loadStorageConfig, LocalObjectStore, ObjectNotFoundError, type ObjectStore } from '@duet/api/storage';

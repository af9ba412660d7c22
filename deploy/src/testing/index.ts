// Helpers shared by the test suites of every part (not used by the running platform).
export { freePort } from './free-port.ts';
export { startS3Server, type S3TestServer } from './s3-server.ts';
export { startCoturn, turnRestCredentials, loopbackCoturnConfig, COTURN_CONFIG, type Coturn } from './coturn.ts';
export { promSample, promFamilies } from './prometheus.ts';

// Helpers shared by the test suites of every part (not used by the running platform).
export { freePort } from './free-port.ts';
export { startCoturn, turnRestCredentials, loopbackCoturnConfig, COTURN_CONFIG, type Coturn } from './coturn.ts';

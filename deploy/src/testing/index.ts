// Helpers shared by the test suites of every part (not used by the running platform).
export { freePort } from './free-port.ts';

// node:http for the recorder's own server, loaded through require, not `import`: importing a
// built-in as an ES module builds its ESM facade, which reads every export, and node:http's
// include lazy getters (WebSocket, fetch-related) that load undici: ~13 MB resident for nothing.
// Its hooks go out through @duet/api/internal-http (node:http loaded the same way).
import { createRequire } from 'node:module';

type Http = typeof import('node:http');

const load = createRequire(import.meta.url);

export const http = load('node:http') as Http;

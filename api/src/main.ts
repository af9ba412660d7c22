// `node api/src/main.ts`: the API alone, configured from the environment.
import { ConfigError, loadApiConfig } from './config.ts';
import { createApiServer } from './server.ts';
import { installGracefulShutdown } from './ops/graceful-shutdown.ts';

let config;
try {
  config = loadApiConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}

const server = createApiServer(config);
// An unexpected rejection is logged rather than allowed to take the API (and in-flight requests) down.
process.on('unhandledRejection', (reason) => server.app.log.error({ err: reason }, 'unhandled rejection'));
const { url } = await server.start();
server.app.log.info({ url, database: config.database.kind }, 'duet api listening');

installGracefulShutdown(server, config.ops.shutdownDeadlineMs);

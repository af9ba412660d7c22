// The media node process: HTTP (health, internal room view) + the signaling WebSocket at /ws,
// hosting the mediasoup worker pool. Lifecycle facts go to the API as signed hooks.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { MediaProbes, WorkerPool } from '@duet/sfu';
import { ensureWritableDir } from '@duet/api/durable-file';
import { lowDiskReason } from '@duet/api/free-disk';
import { deriveNodeSecret } from '@duet/api/node-secret';
import { CLOSE_REMOVED, SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK } from './protocol/constants.ts';
import { framingFor } from './protocol/codec.ts';
import { apiCredentialOf, type SignalingConfig } from './config.ts';
import { ApiClient } from './api-client.ts';
import { HookSender } from './hooks/hook-sender.ts';
import { RoomRegistry } from './room/registry.ts';
import { recorderClientFromEnv } from './recording/index.ts';
import { RecorderRequestError } from './recording/recorder-client.ts';
import { Connection, type ConnectionStats } from './transport/connection.ts';
import { Rejections } from './transport/rejections.ts';
import { SocketLimits } from './transport/socket-limits.ts';
import { createHandler, probeKey } from './transport/handlers.ts';
import { JoinKeyStore } from './transport/join-keys.ts';
import { createMediaNodeRuntime, type MediaNodeRuntime } from './node/media-node.ts';
import { handleNodeHttp } from './node/node-http.ts';
import { createNodeMetrics } from './node/node-metrics.ts';
import { logFn, toLogger, type LogFn, type Logger } from './log.ts';
import { onFrameQuiet, startQuietSweep } from './transport/quiet.ts';

/** Hard cap enforced by ws itself (closes 1009); the protocol's own, smaller cap answers with an error. */
const WS_MAX_PAYLOAD = 256 * 1024;
/** The heartbeat interval is cut into this many ticks; each socket is pinged on its own tick. */
const HEARTBEAT_SLICES = 16;

export interface SignalingServer {
  start(): Promise<{ url: string; wsUrl: string }>;
  close(): Promise<void>;
  stats(): { connections: number; rooms: number; frames: number; badFrames: number; rateLimited: number; pendingHooks: number };
  hooks: HookSender;
  pool: WorkerPool;
  /** Registration, drain and graceful shutdown as one node of many (src/node). */
  node: MediaNodeRuntime;
  /** The API's public join-token keys this node verifies with. */
  joinKeys: JoinKeyStore;
}

/**
 * Internal calls to this node: the shared secret, this node's own credential, or (a node holding
 * the shared secret) a node credential derived from it, as the API sends (api node-credentials.ts).
 */
function sameSecret(given: string | undefined, expected: string, alsoAccepted?: string): boolean {
  if (alsoAccepted !== undefined && given !== undefined && matches(given, alsoAccepted)) return true;
  const derived = /^dn1:([A-Za-z0-9_.-]{1,64}):([0-9a-f]{64})$/.exec(given ?? '');
  if (derived) return matches(derived[2], deriveNodeSecret(expected, derived[1]!));
  return matches(given, expected);
}

function matches(given: string | undefined, expected: string): boolean {
  const a = createHash('sha256').update(given ?? '').digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given !== undefined;
}

/** `logger`: a pino logger, or a (level, msg, fields) callback; default: pino to stdout at LOG_LEVEL. */
export async function createSignalingServer(config: SignalingConfig, logger?: Logger | LogFn): Promise<SignalingServer> {
  const log = toLogger(logger, config.logLevel);
  // Checked before any worker or socket exists: an unwritable spool is a clear startup error.
  ensureWritableDir(config.hookSpoolDir, 'HOOK_SPOOL_DIR');
  const pool = await WorkerPool.create(config.media);
  pool.on('workerDied', ({ slot, pid, error }) => log.error({ slot, pid, error: error.message }, 'mediasoup worker died, replacing it'));
  pool.on('workerReplaced', ({ slot, pid }) => log.info({ slot, pid }, 'mediasoup worker replaced'));

  // This node's credential toward the API: its own (NODE_SECRET, scoped to its lessons) or the shared one.
  const apiCredential = apiCredentialOf(config);
  const ownSecret = config.node && config.nodeSecret ? { id: config.node.id, secret: config.nodeSecret } : null;
  const hooks = new HookSender({
    url: `${config.apiInternalUrl}/internal/hooks`,
    secret: ownSecret?.secret ?? config.internalHookSecret,
    ...(ownSecret ? { headers: { 'duet-node': ownSecret.id } } : {}),
    spoolDir: config.hookSpoolDir,
    log: logFn(log.child({ component: 'hooks' })),
  });
  const recorderClient = recorderClientFromEnv(process.env, config.internalHookSecret, logFn(log.child({ component: 'recording' })));
  const registry = new RoomRegistry(new ApiClient(config.apiInternalUrl, apiCredential), {
    pool,
    p2pEnabled: config.p2pEnabled,
    p2pInstantJoin: config.p2pInstantJoin,
    timings: config.timings,
    emitHook: (event) => hooks.send(event),
    log,
    recorder: recorderClient,
    board: config.board,
  });
  registry.nodeId = config.node?.id ?? null;
  const stats: ConnectionStats = { frames: 0, badFrames: 0, rateLimited: 0, rejections: new Rejections() };
  const limits = new SocketLimits(config.sockets);
  const connections = new Map<WebSocket, Connection>();
  let nextHeartbeatSlice = 0;
  if (config.joinTokenSecretSet) log.warn('JOIN_TOKEN_SECRET is set but a media node does not need it (it verifies join tokens with the API public keys): remove it from this node');
  const joinKeys = new JoinKeyStore({ apiInternalUrl: config.apiInternalUrl, pinned: config.joinTokenPublicKeys, log: logFn(log.child({ component: 'join-keys' })) });
  const probes = new MediaProbes(pool, config.probes);
  const handler = createHandler(registry, joinKeys.lookup, config.standbyTimeoutMs, probes);
  const node = createMediaNodeRuntime({ node: config.node, apiUrl: config.apiInternalUrl, secret: apiCredential, pool, registry, participants: () => connections.size, log: logFn(log.child({ component: 'node' })) });
  const metrics = createNodeMetrics({ nodeId: config.node?.id ?? 'default', capacity: config.node?.capacity ?? null, pool, registry, runtime: node, connections: () => connections.size, stats: () => ({ badFrames: stats.badFrames, pendingHooks: hooks.pending(), hooksSetAside: hooks.setAsideTotal(), hookClockSkew: hooks.clockSkewRejections() }), rejections: () => stats.rejections.entries(), probes: () => ({ open: probes.size, opened: probes.opened, connected: probes.connected }) });

  const http = createServer((req, res) => void route(req, res));
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://node');
    if (req.method === 'GET' && url.pathname === '/healthz') return json(200, { ok: true, workers: pool.workers().length });
    if (await handleNodeHttp(req, res, { runtime: node, workers: () => pool.workers().length, metrics, metricsToken: config.metricsToken, disk: () => lowDiskReason(config.hookSpoolDir, config.minFreeDiskMb, 'HOOK_SPOOL_DIR') })) return;
    if (req.method === 'GET' && url.pathname === '/internal/load') {
      // Placement figures for the API (which node gets the next lesson): per worker and totals.
      const auth = req.headers.authorization?.replace(/^Bearer /, '');
      if (!sameSecret(auth, config.internalHookSecret, apiCredential)) return json(401, { error: { code: 'unauthorized', message: 'internal secret required' } });
      const workers = await pool.sample();
      const sum = (k: 'routers' | 'consumers' | 'producers' | 'transports' | 'bitrateBps' | 'cpuPercent') => workers.reduce((n, w) => n + w[k], 0);
      return json(200, {
        workers,
        totals: { rooms: registry.all().length, connections: connections.size, routers: sum('routers'), transports: sum('transports'), producers: sum('producers'), consumers: sum('consumers'), bitrateBps: sum('bitrateBps'), cpuPercent: sum('cpuPercent') },
      });
    }
    const retry = /^\/internal\/recordings\/([0-9a-f-]{36})\/retry$/i.exec(url.pathname);
    if (req.method === 'POST' && retry) {
      // The API asks this node's recorder to finalize a failed recording again (operator retry).
      const auth = req.headers.authorization?.replace(/^Bearer /, '');
      if (!sameSecret(auth, config.internalHookSecret, apiCredential)) return json(401, { error: { code: 'unauthorized', message: 'internal secret required' } });
      if (!recorderClient) return json(404, { error: { code: 'no_recorder', message: 'no recorder on this node (RECORDER_URL unset)' } });
      try {
        return json(202, await recorderClient.retry(retry[1]!));
      } catch (err) {
        const status = err instanceof RecorderRequestError ? err.status : 502;
        return json(status === 404 || status === 409 ? status : 502, { error: { code: status === 404 ? 'not_found' : status === 409 ? 'recording_not_failed' : 'recorder_unavailable', message: (err as Error).message.slice(0, 300) } });
      }
    }
    const cancel = /^\/internal\/sessions\/([^/]+)\/cancel$/.exec(url.pathname);
    if (req.method === 'POST' && cancel) {
      // The API says the marketplace cancelled this running lesson: end the room for both now.
      const auth = req.headers.authorization?.replace(/^Bearer /, '');
      if (!sameSecret(auth, config.internalHookSecret, apiCredential)) return json(401, { error: { code: 'unauthorized', message: 'internal secret required' } });
      req.resume();
      const sessionId = decodeURIComponent(cancel[1]!);
      const hosted = registry.cancel(sessionId);
      let standing = 0;
      for (const conn of connections.values()) {
        if (!conn.claims && conn.standbyClaims?.sessionId === sessionId) {
          conn.notify({ t: 'session.ended', reason: 'cancelled' });
          conn.close(4002, 'lesson_cancelled');
          standing++;
        }
      }
      log.info({ session_id: sessionId, hosted, standby_sockets: standing }, 'lesson cancelled by the API');
      return json(200, { ok: true, hosted, standby_sockets: standing });
    }
    const revoke = /^\/internal\/sessions\/([^/]+)\/participants\/(tutor|student)\/revoke$/.exec(url.pathname);
    if (req.method === 'POST' && revoke) {
      // The API says the marketplace removed this participant: close the seat and any pre-join socket now.
      const auth = req.headers.authorization?.replace(/^Bearer /, '');
      if (!sameSecret(auth, config.internalHookSecret, apiCredential)) return json(401, { error: { code: 'unauthorized', message: 'internal secret required' } });
      req.resume();
      const sessionId = decodeURIComponent(revoke[1]!);
      const role = revoke[2] as 'tutor' | 'student';
      const seated = registry.revoke(sessionId, role);
      let standing = 0;
      for (const conn of connections.values()) {
        if (!conn.claims && conn.standbyClaims?.sessionId === sessionId && conn.standbyClaims.role === role) {
          conn.notify({ t: 'removed', reason: 'revoked' });
          conn.close(CLOSE_REMOVED, 'removed from the lesson');
          standing++;
        }
      }
      log.info({ session_id: sessionId, role, seated, standby_sockets: standing }, 'participant revoked');
      return json(200, { ok: true, seated, standby_sockets: standing });
    }
    const m = /^\/internal\/rooms\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const auth = req.headers.authorization?.replace(/^Bearer /, '');
      if (!sameSecret(auth, config.internalHookSecret, apiCredential)) return json(401, { error: { code: 'unauthorized', message: 'internal secret required' } });
      const room = registry.get(decodeURIComponent(m[1]!));
      if (!room) return json(404, { error: { code: 'not_found', message: 'no live room for this lesson on this node' } });
      return json(200, await room.snapshot());
    }
    json(404, { error: { code: 'not_found', message: 'not found' } });
  }

  const wss = new WebSocketServer({
    server: http,
    path: '/ws',
    maxPayload: WS_MAX_PAYLOAD,
    // Prefer msgpack; accept JSON for tools; a client offering neither still gets msgpack.
    // Cheap early refusal (HTTP 429) before the upgrade; the 'connection' handler counts for real.
    verifyClient: (info, done) => {
      const refused = limits.refusal(limits.address(info.req));
      if (!refused) return done(true);
      stats.rejections.count(refused);
      done(false, 429, refused === 'sockets_per_address' ? 'too many connections from this address' : 'too many connections waiting to authenticate');
    },
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL_MSGPACK) ? SUBPROTOCOL_MSGPACK : offered.has(SUBPROTOCOL_JSON) ? SUBPROTOCOL_JSON : false),
  });
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const conn = new Connection(ws, framingFor(ws.protocol), handler, stats, log, config.rate);
    const refused = limits.open(conn, limits.address(req));
    if (refused) {
      stats.rejections.count(refused);
      return ws.close(1008, refused === 'sockets_per_address' ? 'too many connections from this address' : 'too many connections waiting to authenticate');
    }
    conn.seats = limits;
    conn.heartbeatSlice = nextHeartbeatSlice++ % HEARTBEAT_SLICES;
    connections.set(ws, conn);
    const helloTimer = setTimeout(() => {
      if (conn.authenticated) return;
      stats.rejections.count('preauth_timeout');
      conn.close(4000, 'no hello received in time');
    }, config.helloTimeoutMs);
    ws.on('pong', () => (conn.alive = true));
    ws.on('message', (data, isBinary) => {
      conn.onFrame(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer), isBinary);
      onFrameQuiet(connections, conn);
    });
    ws.on('error', (err) => conn.log.warn({ error: err.message }, 'websocket error'));
    ws.on('close', (code) => {
      clearTimeout(helloTimer);
      connections.delete(ws);
      limits.release(conn);
      if (conn.claims) conn.log.info({ code }, 'participant disconnected');
      if (conn.room && conn.claims) conn.room.leave(conn.claims.role, conn, 'disconnected');
      // A pre-join socket that preconnected and never joined: its transports go with it.
      if (conn.preconnected) conn.preconnected.room.sfu.dropPre(conn.preconnected.key);
      probes.close(probeKey(conn));
    });
  });
  wss.on('error', (err) => log.error({ error: err.message }, 'websocket server error'));

  // Heartbeat: a socket that missed a whole interval of pings is dead (half-open TCP). Each socket
  // is pinged once per interval, but the sockets are spread over HEARTBEAT_SLICES ticks: pinging
  // them all in one go held the event loop for as long as 10,000 ws.ping() calls take, and the
  // joins that arrived meanwhile waited behind it (the signaling bench's ~50 ms p99 at low rates).
  let tick = 0;
  const heartbeat = setInterval(() => {
    const slice = tick++ % HEARTBEAT_SLICES;
    for (const ws of wss.clients) {
      const conn = connections.get(ws);
      if ((conn?.heartbeatSlice ?? 0) !== slice) continue;
      if (conn && !conn.alive) {
        conn.terminate();
        continue;
      }
      if (conn) conn.alive = false;
      ws.ping();
    }
  }, Math.max(1, Math.floor(config.heartbeatMs / HEARTBEAT_SLICES)));
  heartbeat.unref();

  const stopQuietSweep = startQuietSweep(connections, config.quietMs);

  return {
    hooks,
    pool,
    node,
    async start() {
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host, () => resolve());
      });
      const addr = http.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.port;
      const url = `http://${config.host}:${port}`;
      log.info({ url, p2p: config.p2pEnabled, workers: pool.workers().length }, 'signaling listening');
      node.start();
      joinKeys.start();
      return { url, wsUrl: `ws://${config.host}:${port}/ws` };
    },
    async close() {
      await node.stop();
      joinKeys.stop();
      clearInterval(heartbeat);
      stopQuietSweep();
      registry.closeAll();
      // What the rooms just told them (closing, reconnect elsewhere) goes out before the sockets go.
      for (const ws of wss.clients) (connections.get(ws) ?? ws).terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
      await Promise.race([hooks.idle(), new Promise((r) => setTimeout(r, 3000))]);
      hooks.stop();
      probes.closeAll();
      pool.close();
    },
    joinKeys,
    stats: () => ({ connections: connections.size, rooms: registry.all().length, frames: stats.frames, badFrames: stats.badFrames, rateLimited: stats.rateLimited, pendingHooks: hooks.pending() }),
  };
}

// Media-plane settings. Listen and announced addresses default to loopback so a test or a
// laptop never exposes media; an operator sets them to a LAN or public address.
import { cpus } from 'node:os';
import { isIP } from 'node:net';

export interface MediaConfig {
  /** Number of mediasoup workers (one per core by default). */
  numWorkers: number;
  /** Address the WebRtcServers bind to. */
  listenIp: string;
  /** Address put in ICE candidates (public IP or hostname behind NAT). */
  announcedAddress: string;
  /** Worker i listens on UDP and TCP port `portBase + i` (0: ephemeral). */
  portBase: number;
  workerBin: string | undefined;
  logLevel: 'debug' | 'warn' | 'error' | 'none';
  /**
   * Receive and send buffer of each worker's UDP socket (bytes). Every lesson on a worker arrives
   * on that one socket: while the worker is not reading (its core busy with something else) the
   * kernel holds this much, then drops. The kernel caps it at net.core.rmem_max / wmem_max.
   */
  socketBufferBytes: number;
}

export class MediaConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new MediaConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  return n;
}

export function loadMediaConfig(env: NodeJS.ProcessEnv = process.env): MediaConfig {
  const listenIp = env.MEDIA_LISTEN_IP || '127.0.0.1';
  if (!isIP(listenIp)) throw new MediaConfigError(`MEDIA_LISTEN_IP must be an IP address, got "${listenIp}"`);
  const announcedAddress = env.MEDIA_ANNOUNCED_ADDRESS || listenIp;
  if (listenIp === '0.0.0.0' && !env.MEDIA_ANNOUNCED_ADDRESS) {
    throw new MediaConfigError('MEDIA_ANNOUNCED_ADDRESS is required when MEDIA_LISTEN_IP is 0.0.0.0');
  }
  const numWorkers = int(env, 'MEDIASOUP_WORKERS', Math.max(1, cpus().length), 1, 256);
  // 0 = ephemeral ports (tests, several nodes on one machine); operators pin a base for firewalls.
  const portBase = int(env, 'MEDIA_PORT_BASE', 40000, 0, 65535 - numWorkers);
  if (portBase !== 0 && portBase < 1024) throw new MediaConfigError(`MEDIA_PORT_BASE must be 0 or at least 1024, got "${portBase}"`);
  const logLevel = (env.MEDIASOUP_LOG_LEVEL || 'warn') as MediaConfig['logLevel'];
  if (!['debug', 'warn', 'error', 'none'].includes(logLevel)) {
    throw new MediaConfigError(`MEDIASOUP_LOG_LEVEL must be debug|warn|error|none, got "${logLevel}"`);
  }
  const socketBufferBytes = int(env, 'MEDIA_SOCKET_BUFFER_BYTES', 4 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024);
  return { numWorkers, listenIp, announcedAddress, portBase, workerBin: env.MEDIASOUP_WORKER_BIN || undefined, logLevel, socketBufferBytes };
}

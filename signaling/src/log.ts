// The media node's structured logs: pino, like the API (one JSON line per event, `service`
// signaling). Per-lesson and per-connection facts ride as child-logger bindings (session_id,
// role, user_id, conn_id, request_id), and credentials are redacted wherever they appear.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Never logged: join and resume tokens, secrets, TURN credentials, auth headers. */
export const LOG_REDACT_PATHS = [
  'token',
  '*.token',
  'resume',
  '*.resume',
  'resumeToken',
  '*.resumeToken',
  'secret',
  '*.secret',
  'credential',
  '*.credential',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["duet-signature"]',
];

/** The (level, msg, extra) callback some parts take (hooks, node agent, recorder client). */
export type LogFn = (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;

export function createLog(opts: { level?: LogLevel; stream?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'signaling' },
      redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // Synchronous: the process exits right after its last lines on shutdown or a crash.
    opts.stream ?? pino.destination({ dest: 1, sync: true }),
  );
}

/**
 * A logger from what the embedder gave: a pino logger as is; a plain callback (the all-in-one
 * process, tests) gets pino's redacted, bound JSON lines handed back as (level, msg, fields).
 */
export function toLogger(target: Logger | LogFn | undefined, level: LogLevel): Logger {
  if (!target) return createLog({ level });
  if (typeof target !== 'function') return target;
  const fn = target;
  const names: Record<number, 'info' | 'warn' | 'error'> = { 10: 'info', 20: 'info', 30: 'info', 40: 'warn', 50: 'error', 60: 'error' };
  return createLog({
    level,
    stream: {
      write(line: string) {
        try {
          const { level: n, msg, time: _time, service: _service, ...fields } = JSON.parse(line) as Record<string, unknown>;
          fn(names[n as number] ?? 'info', String(msg ?? ''), fields);
        } catch {
          // a line that is not JSON cannot come from pino; nothing to forward
        }
      },
    },
  });
}

/** The callback form over a pino logger (for the parts that take a LogFn). */
export function logFn(log: Logger): LogFn {
  return (level, msg, extra) => log[level](extra ?? {}, msg);
}

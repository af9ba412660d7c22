// `duet` — the operator CLI. Talks to the API's HTTP endpoints with the API key
// (DUET_API_URL, DUET_API_KEY or --api-key-file) and checks hosts with `doctor`.
// Exit codes: 0 ok, 1 a check or request failed, 2 bad usage.
import { readFileSync } from 'node:fs';
import { parseArgs, parseEnv } from 'node:util';
import { ApiClient, CliError } from './api-client.ts';
import { checkObjectStore, runDoctor, type CheckResult, type Role } from './doctor.ts';
import { recordingsCommand } from './recordings.ts';
import { nodesCommand } from './nodes.ts';
import { nodeEnv, type NodeEnv } from '../node-env.ts';
import { keysCommand } from './keys.ts';
import { requireLessonId, traceLesson, traceLines } from './trace.ts';

export const USAGE = `duet — operate a Duet installation

Usage:
  duet doctor [--role api,media,recorder] [--env-from /etc/duet/media.env ...]
                                              check this host (worker, FFmpeg, ports, address, database, storage)
  duet lessons list [--status live,waiting] [--user <id>] [--from <iso>] [--to <iso>] [--limit N] [--all]
  duet lessons show <lesson id>               the lesson, its participants and attendance
  duet lessons trace <lesson id>              its timeline: joins, drops, mode moves, recording,
                                              client reports, webhook deliveries (for support)
  duet lessons create --title <t> --tutor <id>:<name> --student <id>:<name>
                      [--start <iso>|--in <minutes>] [--minutes 60] [--recording]
  duet tokens mint <lesson id> --role tutor|student     prints a join link
  duet nodes list                             media nodes: state, health, load, lessons
  duet nodes env <node id> [--env-from /etc/duet/api.env]
                                              NODE_ID + NODE_SECRET lines for that media host
                                              (derived from INTERNAL_HOOK_SECRET; node.env)
  duet nodes show <node id>
  duet nodes drain <node id> [--deadline 900|90s|15m|2h] [--reason <text>]
                                              no new lessons; at the deadline the rest move
  duet nodes undrain <node id>
  duet nodes remove <node id>                 forget a node that is gone for good
  duet webhooks deliveries [--status pending|failed|delivered] [--lesson <id>] [--limit N] [--all]
  duet webhooks retry <delivery id>           re-queue a delivery that was given up on
  duet recordings retry <recording id>        finalize a failed recording again (storage back)
  duet keys create --name <name> --scopes lessons,operator,read
                                              a named API key (its secret is printed once)
  duet keys list                              keys, scopes, last use (never secrets)
  duet keys rotate <key id> [--overlap 86400|90s|15m|2h]
                                              a new secret; the old one works for the overlap
  duet keys revoke <key id>                   the key stops working at once

Options:
  --api-url <url>       API base URL (env DUET_API_URL, default http://127.0.0.1:8080)
  --api-key-file <f>    read the API key from a file (env DUET_API_KEY otherwise)
  --json                machine-readable output
  -h, --help            this help
`;

export interface CliIO {
  env: Record<string, string | undefined>;
  out(line: string): void;
  err(line: string): void;
}

type Values = Record<string, string | boolean | string[] | undefined>;

function client(values: Values, env: CliIO['env']): ApiClient {
  const baseUrl = (values['api-url'] as string | undefined) ?? env.DUET_API_URL ?? 'http://127.0.0.1:8080';
  let apiKey = env.DUET_API_KEY;
  if (values['api-key-file']) {
    try {
      apiKey = readFileSync(values['api-key-file'] as string, 'utf8').trim();
    } catch (err) {
      throw new CliError(`cannot read --api-key-file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
    }
  }
  if (!apiKey) throw new CliError('no API key: set DUET_API_KEY or pass --api-key-file', 2);
  try {
    new URL(baseUrl);
  } catch {
    throw new CliError(`--api-url / DUET_API_URL is not a URL: "${baseUrl}"`, 2);
  }
  return new ApiClient({ baseUrl, apiKey });
}

function person(flag: string, value: unknown): { id: string; name: string } {
  const m = typeof value === 'string' ? /^([^:]+):(.+)$/.exec(value) : null;
  if (!m) throw new CliError(`--${flag} must be <user id>:<display name>`, 2);
  return { id: m[1]!, name: m[2]! };
}

function table(rows: Record<string, unknown>[], columns: string[]): string[] {
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '-' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)];
}

const ISO = (flag: string, v: unknown): string => {
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw new CliError(`--${flag} must be an ISO date-time`, 2);
  return new Date(v).toISOString();
};

const positiveInt = (flag: string, v: unknown, max: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new CliError(`--${flag} must be an integer between 0 and ${max}`, 2);
  return n;
};

/** The environment a service would get: ours, overlaid with its EnvironmentFile(s). (Not named
 * --env-file: Node itself claims that flag anywhere on its command line.) */
function envWithFiles(files: string[], env: CliIO['env']): CliIO['env'] {
  const out = { ...env };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read --env-from ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
    }
    Object.assign(out, parseEnv(text));
  }
  return out;
}

/** `duet nodes env <id>`: a media host's NODE_ID + NODE_SECRET, from the API host's INTERNAL_HOOK_SECRET. */
function nodesEnv(rest: string[], values: Values, io: CliIO): number {
  const env = envWithFiles((values['env-from'] as unknown as string[] | undefined) ?? [], io.env);
  if (rest.length !== 1) throw new CliError('usage: duet nodes env <node id> [--env-from /etc/duet/api.env]', 2);
  if (!env.INTERNAL_HOOK_SECRET) throw new CliError('INTERNAL_HOOK_SECRET is not set: run this where the API\'s env is (--env-from /etc/duet/api.env)', 2);
  let lines: NodeEnv;
  try {
    lines = nodeEnv(env.INTERNAL_HOOK_SECRET, rest[0]!);
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
  io.out(`NODE_ID=${lines.NODE_ID}\nNODE_SECRET=${lines.NODE_SECRET}`);
  return 0;
}

async function doctor(values: Values, io: CliIO): Promise<number> {
  const roles = String(values.role ?? 'api,media,recorder').split(',').map((r) => r.trim()) as Role[];
  const bad = roles.filter((r) => !['api', 'media', 'recorder'].includes(r));
  if (bad.length > 0 || roles.length === 0) throw new CliError(`--role takes api, media and/or recorder (got ${bad.join(', ') || 'nothing'})`, 2);
  const env = envWithFiles((values['env-from'] as unknown as string[] | undefined) ?? [], io.env);
  const results = await runDoctor(env, roles, checkObjectStore);
  if (values.json) io.out(JSON.stringify({ ok: results.every((r) => r.status !== 'fail'), checks: results }, null, 2));
  else {
    const width = Math.max(...results.map((r) => r.name.length));
    for (const r of results) io.out(`${r.status.toUpperCase().padEnd(4)}  ${r.name.padEnd(width)}  ${r.detail}`);
    const failed = results.filter((r: CheckResult) => r.status === 'fail').length;
    io.out(failed === 0 ? 'all checks passed' : `${failed} check${failed === 1 ? '' : 's'} failed`);
  }
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}

async function lessons(sub: string | undefined, rest: string[], values: Values, io: CliIO): Promise<number> {
  const api = client(values, io.env);
  const print = (obj: unknown, human: () => string[]) => (values.json ? io.out(JSON.stringify(obj, null, 2)) : human().forEach((l) => io.out(l)));
  if (sub === 'list') {
    const limit = values.limit === undefined ? 50 : positiveInt('limit', values.limit, 200);
    const query: { status?: string; user_id?: string; from?: string; to?: string; limit: string; cursor?: string } = { limit: String(limit) };
    if (values.status) query.status = String(values.status);
    if (values.user) query.user_id = String(values.user);
    if (values.from) query.from = ISO('from', values.from);
    if (values.to) query.to = ISO('to', values.to);
    const all: Record<string, unknown>[] = [];
    // --all follows the cursor, bounded so a huge table cannot run forever.
    for (let page = 0; page < (values.all ? 1000 : 1); page++) {
      const res = await api.call('GET /v1/sessions', api.duet.GET('/v1/sessions', { params: { query } }));
      all.push(...(res.sessions as Record<string, unknown>[]));
      if (!res.next_cursor) break;
      query.cursor = res.next_cursor;
    }
    print({ sessions: all }, () => (all.length === 0 ? ['no lessons'] : table(all, ['id', 'status', 'scheduled_start', 'scheduled_end', 'media_node', 'recording', 'title'])));
    return 0;
  }
  if (sub === 'show') {
    const id = rest[0];
    if (!id) throw new CliError('usage: duet lessons show <lesson id>', 2);
    const path = { id };
    const lesson: Record<string, unknown> = await api.call(`GET /v1/sessions/${id}`, api.duet.GET('/v1/sessions/{id}', { params: { path } }));
    const attendance = await api.call(`GET /v1/sessions/${id}/attendance`, api.duet.GET('/v1/sessions/{id}/attendance', { params: { path } }));
    print({ lesson, attendance }, () => {
      const lines = Object.entries(lesson)
        .filter(([, v]) => v === null || typeof v !== 'object')
        .map(([k, v]) => `${k.padEnd(18)} ${v ?? '-'}`);
      lines.push('', 'attendance:');
      if (attendance.participants.every((p) => p.intervals.length === 0)) lines.push('  nobody joined yet');
      for (const p of attendance.participants) {
        if (p.intervals.length === 0) continue;
        lines.push(`  ${p.role} ${p.user_id}: ${p.duration_seconds} s in ${p.intervals.length} interval(s)`);
        for (const i of p.intervals) lines.push(`    ${i.joined_at} -> ${i.left_at ?? 'now'}`);
      }
      return lines;
    });
    return 0;
  }
  if (sub === 'trace') {
    const { lesson, timeline } = await traceLesson(api, requireLessonId(rest[0]));
    print({ lesson, timeline }, () => traceLines(lesson, timeline));
    return 0;
  }
  if (sub === 'create') {
    if (typeof values.title !== 'string' || values.title.trim() === '') throw new CliError('--title is required', 2);
    const tutor = person('tutor', values.tutor);
    const student = person('student', values.student);
    if (values.start && values.in) throw new CliError('give --start or --in, not both', 2);
    const start = values.start ? new Date(ISO('start', values.start)) : new Date(Date.now() + positiveInt('in', values.in ?? '0', 60 * 24 * 365) * 60_000);
    const minutes = positiveInt('minutes', values.minutes ?? '60', 24 * 60);
    if (minutes === 0) throw new CliError('--minutes must be at least 1', 2);
    const lesson = await api.call(
      'POST /v1/sessions',
      api.duet.POST('/v1/sessions', {
        body: {
          title: values.title,
          scheduled_start: start.toISOString(),
          scheduled_end: new Date(start.getTime() + minutes * 60_000).toISOString(),
          recording: values.recording === true,
          tutor,
          student,
        },
      }),
    );
    print(lesson, () => [`created lesson ${lesson.id} (${lesson.status}), ${lesson.scheduled_start} -> ${lesson.scheduled_end}`, `mint links: duet tokens mint ${lesson.id} --role tutor|student`]);
    return 0;
  }
  throw new CliError(`unknown command: duet lessons ${sub ?? ''}\n\n${USAGE}`, 2);
}

async function tokens(sub: string | undefined, rest: string[], values: Values, io: CliIO): Promise<number> {
  if (sub !== 'mint') throw new CliError(`unknown command: duet tokens ${sub ?? ''}\n\n${USAGE}`, 2);
  const id = rest[0];
  if (!id) throw new CliError('usage: duet tokens mint <lesson id> --role tutor|student', 2);
  if (values.role !== 'tutor' && values.role !== 'student') throw new CliError('--role must be tutor or student', 2);
  const api = client(values, io.env);
  const t = await api.call(`POST /v1/sessions/${id}/tokens`, api.duet.POST('/v1/sessions/{id}/tokens', { params: { path: { id } }, body: { role: values.role } }));
  if (values.json) io.out(JSON.stringify(t, null, 2));
  else {
    io.out(t.join_url);
    io.err(`(${values.role} link, valid until ${t.expires_at}; anyone with it can join as the ${values.role})`);
  }
  return 0;
}

async function webhooks(sub: string | undefined, rest: string[], values: Values, io: CliIO): Promise<number> {
  const api = client(values, io.env);
  if (sub === 'retry') {
    const id = rest[0];
    if (!id || !/^\d{1,18}$/.test(id)) throw new CliError('usage: duet webhooks retry <delivery id (a number)>', 2);
    const res = await api.call(`POST /v1/webhooks/deliveries/${id}/retry`, api.duet.POST('/v1/webhooks/deliveries/{id}/retry', { params: { path: { id } }, body: {} }));
    if (values.json) io.out(JSON.stringify(res, null, 2));
    else io.out(`delivery ${id} re-queued (${res.delivery.status}, next attempt ${res.delivery.next_attempt_at ?? 'now'})`);
    return 0;
  }
  if (sub !== 'deliveries') throw new CliError(`unknown command: duet webhooks ${sub ?? ''}\n\n${USAGE}`, 2);
  const query: { status?: 'pending' | 'delivered' | 'failed'; session_id?: string; limit: string; before?: string } = {
    limit: String(values.limit === undefined ? 50 : positiveInt('limit', values.limit, 1000)),
  };
  if (values.status !== undefined) {
    const status = String(values.status);
    if (status !== 'pending' && status !== 'delivered' && status !== 'failed') throw new CliError('--status must be pending, delivered or failed', 2);
    query.status = status;
  }
  if (values.lesson) query.session_id = String(values.lesson);
  const all: Record<string, unknown>[] = [];
  // --all follows the keyset cursor, bounded so a huge log cannot run forever.
  for (let page = 0; page < (values.all ? 1000 : 1); page++) {
    const res = await api.call('GET /v1/webhooks/deliveries', api.duet.GET('/v1/webhooks/deliveries', { params: { query } }));
    all.push(...(res.deliveries as Record<string, unknown>[]));
    if (!res.next_before) break;
    query.before = res.next_before;
  }
  if (values.json) io.out(JSON.stringify({ deliveries: all }, null, 2));
  else if (all.length === 0) io.out('no deliveries');
  else table(all, ['id', 'event_type', 'session_id', 'status', 'attempts', 'last_status_code', 'next_attempt_at', 'endpoint_url', 'last_error']).forEach((l) => io.out(l));
  return 0;
}

/** Commands and their subcommands (doctor has none). */
export const COMMANDS: Record<string, string[]> = {
  doctor: [],
  lessons: ['list', 'show', 'trace', 'create'],
  tokens: ['mint'],
  webhooks: ['deliveries', 'retry'],
  nodes: ['list', 'show', 'drain', 'undrain', 'remove', 'env'],
  recordings: ['retry'],
  keys: ['create', 'list', 'rotate', 'revoke'],
  help: [],
};

/** Parses a command line without running it; throws CliError (exit 2) on unknown options. */
export function parseCli(argv: string[]): { values: Values; positionals: string[] } {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'api-url': { type: 'string' },
        'api-key-file': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        role: { type: 'string' },
        'env-from': { type: 'string', multiple: true },
        status: { type: 'string' },
        user: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        limit: { type: 'string' },
        all: { type: 'boolean' },
        title: { type: 'string' },
        tutor: { type: 'string' },
        student: { type: 'string' },
        start: { type: 'string' },
        in: { type: 'string' },
        minutes: { type: 'string' },
        recording: { type: 'boolean' },
        lesson: { type: 'string' },
        deadline: { type: 'string' },
        reason: { type: 'string' },
        name: { type: 'string' },
        scopes: { type: 'string' },
        overlap: { type: 'string' },
      },
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${USAGE}`, 2);
  }
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseCli(argv);
  } catch (err) {
    io.err(`duet: ${(err as Error).message}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [cmd, sub, ...rest] = positionals;
  if (values.help || cmd === 'help' || cmd === undefined) {
    io.out(USAGE);
    return cmd === undefined && !values.help ? 2 : 0;
  }
  try {
    switch (cmd) {
      case 'doctor':
        return await doctor(values, io);
      case 'lessons':
        return await lessons(sub, rest, values, io);
      case 'tokens':
        return await tokens(sub, rest, values, io);
      case 'webhooks':
        return await webhooks(sub, rest, values, io);
      case 'nodes':
        if (sub === 'env') return nodesEnv(rest, values, io);
        return await nodesCommand(sub, rest, values, io, client(values, io.env), table);
      case 'recordings':
        return await recordingsCommand(sub, rest, values.json === true, io, client(values, io.env), USAGE);
      case 'keys':
        return await keysCommand(sub, rest, values, io, client(values, io.env), table, USAGE);
      default:
        throw new CliError(`unknown command: ${cmd}\n\n${USAGE}`, 2);
    }
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`duet: ${err.message}`);
      return err.exitCode;
    }
    io.err(`duet: unexpected error: ${(err as Error).message}`);
    return 1;
  }
}

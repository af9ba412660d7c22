// `duet keys …`: named API keys (issue 16 item 2) through the API, with an operator key (the
// DUET_API_KEY bootstrap key is one). A secret is printed once, on create and rotate, and never
// written anywhere else by the CLI.
import { CliError, type ApiClient } from './api-client.ts';
import { parseDeadline } from './nodes.ts';

type Values = Record<string, string | boolean | string[] | undefined>;
type IO = { out(line: string): void };
type Table = (rows: Record<string, unknown>[], columns: string[]) => string[];

interface KeyJson {
  id: string;
  name: string;
  scopes: string[];
  prefix: string;
  status: string;
  previous_secret_expires_at: string | null;
  created_at: string;
  last_used_at: string | null;
}

const KEY_ID_RE = /^key_[0-9a-f]{16}$/;

function keyId(rest: string[], sub: string): string {
  const id = rest[0];
  if (!id || !KEY_ID_RE.test(id)) throw new CliError(`usage: duet keys ${sub} <key id (key_…)>`, 2);
  return id;
}

function printSecret(io: IO, json: boolean, res: { key: KeyJson; secret: string }, what: string): void {
  if (json) return io.out(JSON.stringify(res, null, 2));
  io.out(`${what} ${res.key.id} (${res.key.name}; scopes ${res.key.scopes.join(', ')})`);
  io.out(`secret: ${res.secret}`);
  io.out('Store it now: it is not shown again (Duet keeps only its SHA-256).');
  if (res.key.previous_secret_expires_at) io.out(`The previous secret keeps working until ${res.key.previous_secret_expires_at}.`);
}

export async function keysCommand(sub: string | undefined, rest: string[], values: Values, io: IO, api: ApiClient, table: Table, usage: string): Promise<number> {
  const json = values.json === true;
  switch (sub) {
    case 'create': {
      const name = values.name;
      if (typeof name !== 'string' || name.trim() === '') throw new CliError('usage: duet keys create --name <name> --scopes lessons,operator,read', 2);
      const scopes = String(values.scopes ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      if (scopes.length === 0 || scopes.some((s) => !['lessons', 'operator', 'read'].includes(s))) throw new CliError('--scopes takes lessons, operator and/or read (comma-separated)', 2);
      printSecret(io, json, await api.request('POST', '/v1/api-keys', { name, scopes }), 'created key');
      return 0;
    }
    case 'list': {
      const { keys } = await api.request<{ keys: KeyJson[] }>('GET', '/v1/api-keys');
      if (json) io.out(JSON.stringify(keys, null, 2));
      else for (const line of table(keys.map((k) => ({ ...k, scopes: k.scopes.join(',') })), ['id', 'name', 'scopes', 'prefix', 'status', 'last_used_at', 'previous_secret_expires_at'])) io.out(line);
      return 0;
    }
    case 'rotate': {
      const id = keyId(rest, 'rotate');
      // --overlap like --deadline: seconds, or 90s / 15m / 2h; default one day.
      const overlap = values.overlap === undefined ? 86_400 : parseDeadline(values.overlap);
      printSecret(io, json, await api.request('POST', `/v1/api-keys/${id}/rotate`, { overlap_seconds: overlap }), 'rotated key');
      return 0;
    }
    case 'revoke': {
      const id = keyId(rest, 'revoke');
      const res = await api.request<{ key: KeyJson }>('POST', `/v1/api-keys/${id}/revoke`);
      if (json) io.out(JSON.stringify(res, null, 2));
      else io.out(`revoked key ${res.key.id} (${res.key.name}): it no longer authenticates`);
      return 0;
    }
    default:
      throw new CliError(`unknown command: duet keys ${sub ?? ''}\n\n${usage}`, 2);
  }
}

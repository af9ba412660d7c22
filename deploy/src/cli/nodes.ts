// `duet nodes list|show|drain|undrain|remove`: the media-node registry through the API (API key).
import { CliError, type ApiClient } from './api-client.ts';

type Values = Record<string, string | boolean | string[] | undefined>;
interface IO {
  out(line: string): void;
}
type Table = (rows: Record<string, unknown>[], columns: string[]) => string[];

/** "90", "90s", "15m", "2h" → seconds. */
export function parseDeadline(v: unknown): number {
  const m = typeof v === 'string' ? /^(\d{1,7})([smh]?)$/.exec(v.trim()) : null;
  if (!m) throw new CliError('--deadline must be a duration such as 900, 90s, 15m or 2h', 2);
  const n = Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
  if (n > 7 * 86400) throw new CliError('--deadline is at most 7 days', 2);
  return n;
}

function flat(n: Record<string, any>): Record<string, unknown> {
  return {
    id: n.id,
    health: n.health,
    state: n.state,
    lessons: `${n.load.lessons}/${n.capacity}`,
    assigned: n.assigned_lessons,
    participants: n.load.participants,
    cpu: `${n.load.cpu_percent}%`,
    mbps: (n.load.bitrate_bps / 1e6).toFixed(1),
    heartbeat: `${(n.heartbeat_age_ms / 1000).toFixed(1)}s ago`,
    drain_deadline: n.drain_deadline,
    signaling_url: n.signaling_url,
  };
}

export async function nodesCommand(sub: string | undefined, rest: string[], values: Values, io: IO, api: ApiClient, table: Table): Promise<number> {
  const print = (obj: unknown, human: () => string[]) => (values.json ? io.out(JSON.stringify(obj, null, 2)) : human().forEach((l) => io.out(l)));
  const id = rest[0];
  const needId = () => {
    if (!id || !/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new CliError(`usage: duet nodes ${sub} <node id>`, 2);
    return id;
  };
  if (sub === 'list') {
    const res = (await api.call('GET /v1/nodes', api.duet.GET('/v1/nodes'))) as { nodes: Record<string, any>[] };
    print(res, () => (res.nodes.length === 0 ? ['no media node registered (lessons go to SIGNALING_PUBLIC_URL)'] : table(res.nodes.map(flat), ['id', 'health', 'state', 'lessons', 'assigned', 'participants', 'cpu', 'mbps', 'heartbeat', 'drain_deadline', 'signaling_url'])));
    return 0;
  }
  if (sub === 'show') {
    const node = needId();
    const n: Record<string, any> = await api.call(`GET /v1/nodes/${node}`, api.duet.GET('/v1/nodes/{id}', { params: { path: { id: node } } }));
    print(n, () => Object.entries({ ...n, load: undefined, ...Object.fromEntries(Object.entries(n.load).map(([k, v]) => [`load.${k}`, v])) }).filter(([, v]) => v !== undefined).map(([k, v]) => `${k.padEnd(18)} ${v ?? '-'}`));
    return 0;
  }
  if (sub === 'drain') {
    const node = needId();
    const body: { deadline_seconds?: number; reason?: string } = {};
    if (values.deadline !== undefined) body.deadline_seconds = parseDeadline(values.deadline);
    if (typeof values.reason === 'string') body.reason = values.reason;
    const n: Record<string, any> = await api.call(`POST /v1/nodes/${node}/drain`, api.duet.POST('/v1/nodes/{id}/drain', { params: { path: { id: node } }, body }));
    print(n, () => [
      `node ${n.id} is draining: no new lessons; ${n.assigned_lessons} open lesson(s) there`,
      n.drain_deadline ? `at ${n.drain_deadline} its remaining participants are moved to another node` : 'running lessons finish on their own (no deadline)',
    ]);
    return 0;
  }
  if (sub === 'undrain') {
    const node = needId();
    const n: Record<string, any> = await api.call(`POST /v1/nodes/${node}/undrain`, api.duet.POST('/v1/nodes/{id}/undrain', { params: { path: { id: node } }, body: {} }));
    print(n, () => [`node ${n.id} is ${n.state} (${n.health}) and takes new lessons`]);
    return 0;
  }
  if (sub === 'remove') {
    const node = needId();
    await api.call(`DELETE /v1/nodes/${node}`, api.duet.DELETE('/v1/nodes/{id}', { params: { path: { id: node } } }));
    io.out(`node ${id} removed from the registry (it registers again if it is still running)`);
    return 0;
  }
  throw new CliError(`unknown command: duet nodes ${sub ?? ''} (list, show, drain, undrain, remove)`, 2);
}

// media_nodes rows: registration, heartbeats with load, drain state, placement bookkeeping.
import type { Queryable } from '../db/connect.ts';

export type NodeState = 'active' | 'draining';

export interface NodeLoad {
  lessons: number;
  participants: number;
  consumers: number;
  cpuPercent: number;
  bitrateBps: number;
  workers: number;
}

export interface MediaNodeRow {
  id: string;
  signalingUrl: string;
  internalUrl: string;
  mediaAddress: string;
  capacity: number;
  state: NodeState;
  drainDeadline: Date | null;
  drainReason: string | null;
  heartbeatIntervalMs: number;
  version: string | null;
  bootId: string;
  registeredAt: Date;
  lastHeartbeatAt: Date;
  lostAt: Date | null;
  lastPlacedAt: Date | null;
  load: NodeLoad;
}

interface Row {
  id: string;
  signaling_url: string;
  internal_url: string;
  media_address: string;
  capacity: number;
  state: NodeState;
  drain_deadline: Date | null;
  drain_reason: string | null;
  heartbeat_interval_ms: number;
  version: string | null;
  boot_id: string;
  registered_at: Date;
  last_heartbeat_at: Date;
  lost_at: Date | null;
  last_placed_at: Date | null;
  load_lessons: number;
  load_participants: number;
  load_consumers: number;
  load_cpu_percent: number;
  load_bitrate_bps: string | number;
  load_workers: number;
}

function fromRow(r: Row): MediaNodeRow {
  return {
    id: r.id,
    signalingUrl: r.signaling_url,
    internalUrl: r.internal_url,
    mediaAddress: r.media_address,
    capacity: r.capacity,
    state: r.state,
    drainDeadline: r.drain_deadline,
    drainReason: r.drain_reason,
    heartbeatIntervalMs: r.heartbeat_interval_ms,
    version: r.version,
    bootId: r.boot_id,
    registeredAt: r.registered_at,
    lastHeartbeatAt: r.last_heartbeat_at,
    lostAt: r.lost_at,
    lastPlacedAt: r.last_placed_at,
    load: {
      lessons: r.load_lessons,
      participants: r.load_participants,
      consumers: r.load_consumers,
      cpuPercent: Number(r.load_cpu_percent),
      bitrateBps: Number(r.load_bitrate_bps),
      workers: r.load_workers,
    },
  };
}

export interface Registration {
  id: string;
  signalingUrl: string;
  internalUrl: string;
  mediaAddress: string;
  capacity: number;
  heartbeatIntervalMs: number;
  version: string | null;
  bootId: string;
  load: NodeLoad;
}

/**
 * Inserts or refreshes a node. A re-registration keeps an operator's drain (a drained node that
 * restarts must stay drained) and clears "lost".
 */
export async function upsertNode(q: Queryable, r: Registration, now: Date): Promise<MediaNodeRow> {
  const rows = await q<Row[]>`
    insert into media_nodes (id, signaling_url, internal_url, media_address, capacity, heartbeat_interval_ms, version, boot_id,
                             registered_at, last_heartbeat_at, load_lessons, load_participants, load_consumers,
                             load_cpu_percent, load_bitrate_bps, load_workers)
    values (${r.id}, ${r.signalingUrl}, ${r.internalUrl}, ${r.mediaAddress}, ${r.capacity}, ${r.heartbeatIntervalMs}, ${r.version},
            ${r.bootId}, ${now}, ${now}, ${r.load.lessons}, ${r.load.participants}, ${r.load.consumers}, ${r.load.cpuPercent},
            ${r.load.bitrateBps}, ${r.load.workers})
    on conflict (id) do update set
      signaling_url = excluded.signaling_url, internal_url = excluded.internal_url, media_address = excluded.media_address,
      capacity = excluded.capacity, heartbeat_interval_ms = excluded.heartbeat_interval_ms, version = excluded.version,
      boot_id = excluded.boot_id, registered_at = excluded.registered_at, last_heartbeat_at = excluded.last_heartbeat_at,
      lost_at = null, load_lessons = excluded.load_lessons, load_participants = excluded.load_participants,
      load_consumers = excluded.load_consumers, load_cpu_percent = excluded.load_cpu_percent,
      load_bitrate_bps = excluded.load_bitrate_bps, load_workers = excluded.load_workers
    returning *`;
  return fromRow(rows[0]!);
}

/** Records a heartbeat from the same boot of the node; null when the node is unknown or restarted. */
export async function recordHeartbeat(q: Queryable, id: string, bootId: string, load: NodeLoad, now: Date): Promise<MediaNodeRow | null> {
  const rows = await q<Row[]>`
    update media_nodes set last_heartbeat_at = ${now}, lost_at = null,
           load_lessons = ${load.lessons}, load_participants = ${load.participants}, load_consumers = ${load.consumers},
           load_cpu_percent = ${load.cpuPercent}, load_bitrate_bps = ${load.bitrateBps}, load_workers = ${load.workers}
     where id = ${id} and boot_id = ${bootId}
    returning *`;
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function findNode(q: Queryable, id: string): Promise<MediaNodeRow | null> {
  const rows = await q<Row[]>`select * from media_nodes where id = ${id}`;
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function listNodes(q: Queryable): Promise<MediaNodeRow[]> {
  return (await q<Row[]>`select * from media_nodes order by id`).map(fromRow);
}

export async function countNodes(q: Queryable): Promise<number> {
  const rows = await q<{ n: number }[]>`select count(*)::int as n from media_nodes`;
  return rows[0]!.n;
}

export async function setDrain(
  q: Queryable,
  id: string,
  drain: { state: NodeState; deadline: Date | null; reason: string | null },
): Promise<MediaNodeRow | null> {
  const rows = await q<Row[]>`
    update media_nodes set state = ${drain.state}, drain_deadline = ${drain.deadline}, drain_reason = ${drain.reason}
     where id = ${id} returning *`;
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function markLost(q: Queryable, id: string, lastHeartbeatAt: Date, now: Date): Promise<boolean> {
  const rows = await q`
    update media_nodes set lost_at = ${now}
     where id = ${id} and last_heartbeat_at = ${lastHeartbeatAt} and lost_at is null returning id`;
  return rows.length > 0;
}

export async function markPlaced(q: Queryable, id: string, now: Date): Promise<void> {
  await q`update media_nodes set last_placed_at = ${now} where id = ${id}`;
}

export async function deleteNode(q: Queryable, id: string): Promise<boolean> {
  const rows = await q`delete from media_nodes where id = ${id} returning id`;
  return rows.length > 0;
}

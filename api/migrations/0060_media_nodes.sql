-- Media node registry: every media node (signaling + SFU + its recorder) registers here and sends
-- its load every few seconds. Placement reads it; operators drain nodes through it.
create table media_nodes (
  id                   text primary key check (id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  -- Where browsers open the signaling WebSocket (ws:// or wss://).
  signaling_url        text not null check (length(signaling_url) <= 2048),
  -- The node's own HTTP base the API can reach (health probes when heartbeats stop).
  internal_url         text not null check (length(internal_url) <= 2048),
  -- The address the node puts in its ICE candidates (operators check it against the firewall).
  media_address        text not null check (length(media_address) <= 255),
  capacity             integer not null check (capacity between 1 and 100000),
  state                text not null default 'active' check (state in ('active', 'draining')),
  drain_deadline       timestamptz,
  drain_reason         text check (drain_reason is null or length(drain_reason) <= 500),
  heartbeat_interval_ms integer not null check (heartbeat_interval_ms between 100 and 600000),
  version              text check (version is null or length(version) <= 100),
  -- Changes when the node process restarts (its rooms were lost).
  boot_id              text not null check (length(boot_id) <= 100),
  registered_at        timestamptz not null default now(),
  last_heartbeat_at    timestamptz not null default now(),
  -- Set when the API found the node unreachable after it missed heartbeats.
  lost_at              timestamptz,
  last_placed_at       timestamptz,
  load_lessons         integer not null default 0 check (load_lessons >= 0),
  load_participants    integer not null default 0 check (load_participants >= 0),
  load_consumers       integer not null default 0 check (load_consumers >= 0),
  load_cpu_percent     double precision not null default 0 check (load_cpu_percent >= 0),
  load_bitrate_bps     bigint not null default 0 check (load_bitrate_bps >= 0),
  load_workers         integer not null default 0 check (load_workers >= 0)
);

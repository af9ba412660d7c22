-- Lesson recordings, written from the recorder's hooks: a row appears as "processing" when the
-- recorder starts (recording.started) and becomes "ready" (file in object storage) or "failed".
create table recordings (
  id               text primary key,
  session_id       text not null references sessions (id) on delete cascade,
  status           text not null default 'processing' check (status in ('processing', 'ready', 'failed')),
  storage_key      text,
  content_type     text,
  duration_seconds double precision check (duration_seconds is null or duration_seconds >= 0),
  size_bytes       bigint check (size_bytes is null or size_bytes >= 0),
  partial          boolean not null default false,
  failure_reason   text,
  started_at       timestamptz not null,
  finished_at      timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  check (status <> 'ready' or (storage_key is not null and duration_seconds is not null and size_bytes is not null))
);

create index recordings_by_session on recordings (session_id, started_at);

-- Internal hook receipts (idempotency by event id), the lifecycle event log, and the webhook
-- outbox: events and their deliveries are written in the same transaction as the fact itself.
create table hook_receipts (
  event_id    text primary key,
  type        text not null,
  session_id  text not null,
  received_at timestamptz not null default now()
);

create table events (
  id          text primary key,
  type        text not null,
  session_id  text not null references sessions (id),
  created_at  timestamptz not null,
  data        jsonb not null default '{}'::jsonb,
  recorded_at timestamptz not null default now()
);

create index events_by_session on events (session_id, created_at);

create table webhook_deliveries (
  id               bigserial primary key,
  event_id         text not null references events (id),
  endpoint_url     text not null,
  status           text not null default 'pending'
                     check (status in ('pending', 'delivered', 'failed')),
  attempts         integer not null default 0,
  next_attempt_at  timestamptz not null default now(),
  last_error       text,
  last_status_code integer,
  delivered_at     timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  unique (event_id, endpoint_url)
);

create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';

-- Issue 16 item 1: what a marketplace needs to integrate lessons safely.
-- owner_key: the API key that created the lesson ('env' = the DUET_API_KEY bootstrap key); its
-- external_id (the marketplace's booking id) is unique per key, so a retried create finds the lesson.
-- metadata: a small JSON object the marketplace attaches (bounded in api/src/domain/metadata.ts).
alter table sessions
  add column owner_key   text not null default 'env',
  add column external_id text check (external_id is null or length(external_id) between 1 and 200),
  add column metadata    jsonb not null default '{}'::jsonb;

create unique index sessions_external_id on sessions (owner_key, external_id) where external_id is not null;

-- Idempotency-Key: the first request's answer, replayed for a retry with the same key and body.
-- scope = who sent it (an API key id, or a participant's seat); kept 24 h (IDEMPOTENCY_TTL_HOURS).
create table idempotency_keys (
  scope           text not null,
  key             text not null,
  request_sha256  text not null,
  state           text not null check (state in ('in_flight', 'done')),
  response_status integer,
  response_type   text,
  response_body   text,
  created_at      timestamptz not null default now(),
  primary key (scope, key)
);
create index idempotency_keys_by_age on idempotency_keys (created_at);

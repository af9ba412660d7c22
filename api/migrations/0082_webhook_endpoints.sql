-- Issue 16 item 3: webhook endpoints managed through the API (besides WEBHOOK_ENDPOINTS in env).
-- The secret is kept as is (it signs every delivery); during a roll the previous one also signs
-- until previous_secret_expires_at. failing_since: first failure after the last success (an
-- endpoint failing for WEBHOOK_DISABLE_AFTER_DAYS is disabled).
create table webhook_endpoints (
  id                         text primary key,
  url                        text not null unique,
  description                text,
  types                      text[],
  enabled                    boolean not null default true,
  secret                     text not null,
  previous_secret            text,
  previous_secret_expires_at timestamptz,
  failing_since              timestamptz,
  disabled_at                timestamptz,
  disabled_reason            text,
  created_at                 timestamptz not null default now(),
  updated_at                 timestamptz not null default now()
);

alter table webhook_deliveries add column endpoint_id text references webhook_endpoints (id) on delete set null;

-- Events about the account rather than one lesson (webhook_endpoint.disabled) have no session.
alter table events alter column session_id drop not null;

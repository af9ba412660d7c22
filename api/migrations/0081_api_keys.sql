-- Issue 16 item 2: named API keys with scopes. Only the SHA-256 of a key is kept. A rotation keeps
-- the key's id (lessons' owner_key, external ids) and accepts the previous secret until
-- previous_expires_at (the overlap window).
create table api_keys (
  id                  text primary key,
  name                text not null check (length(name) between 1 and 100),
  scopes              text[] not null,
  secret_sha256       text not null unique,
  prefix              text not null,
  previous_sha256     text unique,
  previous_expires_at timestamptz,
  created_at          timestamptz not null default now(),
  rotated_at          timestamptz,
  revoked_at          timestamptz,
  last_used_at        timestamptz
);

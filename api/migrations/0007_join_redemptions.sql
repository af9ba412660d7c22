-- Join tokens redeemed by POST /join (by jti). The newest token redeemed for a seat wins: an older
-- one is refused afterwards; with JOIN_TOKEN_SINGLE_USE a token joins exactly once.
create table join_redemptions (
  jti           text primary key,
  session_id    text not null references sessions (id) on delete cascade,
  role          text not null check (role in ('tutor', 'student')),
  user_id       text not null,
  issued_at     timestamptz not null,
  first_used_at timestamptz not null default now(),
  last_used_at  timestamptz not null default now(),
  uses          integer not null default 1
);
create index join_redemptions_by_seat on join_redemptions (session_id, role, issued_at);

-- Who may still use a seat (issue 12, item 1).
-- ticket_sha256: the seat ticket POST /join handed out with this redemption (only its hex SHA-256 is
-- kept). With JOIN_TOKEN_SINGLE_USE the link alone is "used" after its join: signaling and the
-- participant routes then also need the ticket, which only the page that joined holds.
alter table join_redemptions add column ticket_sha256 text;

-- The marketplace removed a participant: every join token of the seat issued at or before
-- revoked_at is refused everywhere (tokens minted afterwards work again).
create table seat_revocations (
  session_id text not null references sessions (id) on delete cascade,
  role       text not null check (role in ('tutor', 'student')),
  revoked_at timestamptz not null,
  reason     text,
  primary key (session_id, role)
);

-- Every presence fact from hooks (join, drop, leave) is kept; the intervals are derived from them
-- in time order, so hooks may arrive in any order and a late "joined" still lands in place.
create table attendance_facts (
  event_id   text primary key,
  session_id text not null references sessions (id) on delete cascade,
  role       text not null check (role in ('tutor', 'student')),
  user_id    text not null,
  kind       text not null check (kind in ('join', 'drop', 'leave')),
  at         timestamptz not null,
  -- For a "leave" whose "joined" never arrived: when the sender says the seat was taken.
  joined_at  timestamptz
);
create index attendance_facts_by_seat on attendance_facts (session_id, role, at);

-- Derived intervals may now start from a backfilled "leave" (no join event).
alter table attendance_intervals alter column join_event_id drop not null;
alter table attendance_intervals drop constraint attendance_intervals_join_event_id_key;
alter table attendance_intervals drop constraint attendance_intervals_leave_event_id_key;

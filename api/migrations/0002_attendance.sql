-- Attendance as intervals per participant, so reconnects and durations are exact.
create table attendance_intervals (
  id             bigserial primary key,
  session_id     text not null references sessions (id) on delete cascade,
  role           text not null check (role in ('tutor', 'student')),
  user_id        text not null,
  joined_at      timestamptz not null,
  left_at        timestamptz,
  join_event_id  text not null unique,
  leave_event_id text unique,
  constraint attendance_interval_order check (left_at is null or left_at >= joined_at)
);

-- At most one open interval per seat: a second "joined" while present is a duplicate fact.
create unique index attendance_one_open_interval
  on attendance_intervals (session_id, role) where left_at is null;

create index attendance_by_session on attendance_intervals (session_id, joined_at);

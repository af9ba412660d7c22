-- The quality of a lesson's media as each participant's room measured it (issue 13): one row per
-- seat, replaced by each newer report (the room sends a cumulative summary every 30 s and when it
-- leaves), so a lesson holds at most two rows whatever a page sends. `final` turns true with the
-- report sent at leave; `reports` counts the reports received.
create table lesson_quality (
  session_id text not null references sessions (id) on delete cascade,
  role       text not null check (role in ('tutor', 'student')),
  user_id    text not null,
  report     jsonb not null,
  reports    integer not null default 1,
  final      boolean not null default false,
  updated_at timestamptz not null default now(),
  primary key (session_id, role)
);

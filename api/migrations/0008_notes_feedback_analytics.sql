-- Per-participant private notes, post-lesson feedback (once per participant), and room analytics
-- events reported by the web room.
create table notes (
  session_id text not null references sessions (id) on delete cascade,
  role       text not null check (role in ('tutor', 'student')),
  user_id    text not null,
  text       text not null check (length(text) <= 20000),
  updated_at timestamptz not null default now(),
  primary key (session_id, role)
);

create table feedback (
  session_id text not null references sessions (id) on delete cascade,
  role       text not null check (role in ('tutor', 'student')),
  user_id    text not null,
  rating     smallint not null check (rating between 1 and 5),
  comment    text check (comment is null or length(comment) <= 2000),
  created_at timestamptz not null default now(),
  primary key (session_id, role)
);

create table analytics_events (
  id          bigserial primary key,
  session_id  text not null references sessions (id) on delete cascade,
  role        text not null check (role in ('tutor', 'student')),
  user_id     text not null,
  type        text not null,
  at          timestamptz not null,
  data        jsonb not null default '{}'::jsonb,
  received_at timestamptz not null default now()
);
create index analytics_events_by_session on analytics_events (session_id, at, id);

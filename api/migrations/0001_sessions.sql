-- Lessons and their two participants. Status moves are checked by a trigger against
-- session_status_transitions, whose rows the migration runner copies from
-- api/src/domain/lesson-status.ts at every start (one table, enforced in code and here).

create table sessions (
  id              text primary key,
  title           text not null check (length(title) between 1 and 200),
  status          text not null default 'scheduled' check (status in (
                    'scheduled', 'waiting', 'live', 'reconnecting',
                    'completed', 'cancelled', 'no_show', 'archived')),
  recording       boolean not null default false,
  scheduled_start timestamptz not null,
  scheduled_end   timestamptz not null,
  started_at      timestamptz,
  ended_at        timestamptz,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint sessions_schedule_order check (scheduled_end > scheduled_start)
);

-- Background jobs (no-show detection, auto-end) scan lessons that are not over yet.
create index sessions_open_by_start on sessions (scheduled_start)
  where status in ('scheduled', 'waiting', 'live', 'reconnecting');

create table participants (
  session_id text not null references sessions (id) on delete cascade,
  role       text not null check (role in ('tutor', 'student')),
  user_id    text not null check (length(user_id) between 1 and 200),
  name       text not null check (length(name) between 1 and 200),
  avatar_url text,
  primary key (session_id, role),
  unique (session_id, user_id)
);

create table session_status_transitions (
  from_status text not null,
  to_status   text not null,
  primary key (from_status, to_status)
);

create function sessions_check_status_transition() returns trigger
language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    if new.status <> 'scheduled' then
      raise exception 'a lesson must start as scheduled, not %', new.status
        using errcode = 'check_violation', constraint = 'session_status_transition';
    end if;
  elsif new.status is distinct from old.status and not exists (
    select 1 from session_status_transitions
     where from_status = old.status and to_status = new.status
  ) then
    raise exception 'illegal lesson status transition % -> %', old.status, new.status
      using errcode = 'check_violation', constraint = 'session_status_transition';
  end if;
  return new;
end;
$$;

create trigger sessions_status_transition
  before insert or update on sessions
  for each row execute function sessions_check_status_transition();

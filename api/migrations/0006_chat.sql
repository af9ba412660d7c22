-- Chat messages, stored by the media node through the internal API. The id is chosen by the
-- sender, so a retried POST stores the message once.
create table chat_messages (
  id         uuid primary key,
  session_id text not null references sessions (id) on delete cascade,
  role       text not null check (role in ('tutor', 'student')),
  user_id    text not null,
  name       text not null,
  text       text not null check (length(text) between 1 and 2000),
  sent_at    timestamptz not null,
  created_at timestamptz not null default now()
);
create index chat_messages_by_session on chat_messages (session_id, sent_at, id);

-- Files the tutor (or the marketplace) shares in a lesson; the bytes live in object storage under
-- resources/sessions/<session id>/…, this row is the index both participants list.
create table resources (
  id                  uuid primary key,
  session_id          text not null references sessions (id) on delete cascade,
  filename            text not null check (length(filename) between 1 and 255),
  content_type        text not null,
  size_bytes          bigint not null check (size_bytes >= 0),
  storage_key         text not null unique,
  uploaded_by_role    text not null check (uploaded_by_role in ('tutor', 'service')),
  uploaded_by_user_id text,
  created_at          timestamptz not null default now()
);
create index resources_by_session on resources (session_id, created_at);

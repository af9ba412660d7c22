-- The lesson's whiteboard: the media node's merged Yjs document (one state update, base64 text so
-- PGlite and PostgreSQL store it alike), saved a moment after changes and when the room closes.
-- A new media node restores the board from here, so a node that dies loses nothing saved.
create table whiteboards (
  session_id text primary key references sessions (id) on delete cascade,
  state      text not null,
  bytes      integer not null check (bytes >= 0),
  locked     boolean not null default false,
  updated_at timestamptz not null default now()
);

-- Lesson facts beyond the schedule: course, cancellation, tutor extension, archive time, the media
-- node the lesson is placed on (sticky), no-show flags and why it ended.
alter table sessions
  add column course_title      text check (course_title is null or length(course_title) between 1 and 200),
  add column cancel_reason     text check (cancel_reason is null or length(cancel_reason) <= 1000),
  add column cancelled_at      timestamptz,
  add column archived_at       timestamptz,
  add column extension_seconds integer not null default 0 check (extension_seconds >= 0),
  add column media_node        text,
  add column tutor_no_show     boolean not null default false,
  add column student_no_show   boolean not null default false,
  add column end_reason        text;

-- Listing lessons by participant (the marketplace's "my lessons") and by time.
create index participants_by_user on participants (user_id, session_id);
create index sessions_by_start on sessions (scheduled_start, id);
-- Placement counts the open lessons per node.
create index sessions_open_by_node on sessions (media_node)
  where status in ('scheduled', 'waiting', 'live', 'reconnecting');

-- Recording lifecycle (delete, retention) and GDPR erasure. A deleted recording keeps its row (status
-- 'deleted', when and why) so the marketplace's list and the audit trail still explain it; its bytes
-- are gone from object storage. An erased lesson keeps only its billing facts (times, status).
alter table recordings drop constraint if exists recordings_status_check;
alter table recordings add constraint recordings_status_check check (status in ('processing', 'ready', 'failed', 'deleted'));
alter table recordings
  add column deleted_at     timestamptz,
  add column deleted_reason text check (deleted_reason is null or deleted_reason in ('api', 'retention', 'session_erased', 'user_erased'));

-- Cross-lesson listing (GET /v1/recordings) pages by (started_at, id); retention scans by finish time.
create index recordings_by_start on recordings (started_at, id);
create index recordings_retention on recordings (finished_at) where status in ('ready', 'failed');

alter table sessions add column erased_at timestamptz;

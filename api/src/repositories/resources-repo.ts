// The index of a lesson's shared files.
import type { Queryable } from '../db/connect.ts';

export interface ResourceRow {
  id: string;
  session_id: string;
  filename: string;
  content_type: string;
  size_bytes: number;
  storage_key: string;
  uploaded_by_role: 'tutor' | 'service';
  uploaded_by_user_id: string | null;
  created_at: Date;
}

export async function insertResource(q: Queryable, r: Omit<ResourceRow, 'created_at'>): Promise<ResourceRow> {
  const rows = await q<ResourceRow[]>`
    insert into resources (id, session_id, filename, content_type, size_bytes, storage_key, uploaded_by_role, uploaded_by_user_id)
    values (${r.id}, ${r.session_id}, ${r.filename}, ${r.content_type}, ${r.size_bytes}, ${r.storage_key}, ${r.uploaded_by_role}, ${r.uploaded_by_user_id})
    returning id, session_id, filename, content_type, size_bytes::float8 as size_bytes, storage_key, uploaded_by_role, uploaded_by_user_id, created_at`;
  return rows[0]!;
}

export async function listResources(q: Queryable, sessionId: string): Promise<ResourceRow[]> {
  return q<ResourceRow[]>`
    select id, session_id, filename, content_type, size_bytes::float8 as size_bytes, storage_key, uploaded_by_role, uploaded_by_user_id, created_at
      from resources where session_id = ${sessionId} order by created_at, id`;
}

export async function findResource(q: Queryable, sessionId: string, id: string): Promise<ResourceRow | null> {
  const rows = await q<ResourceRow[]>`
    select id, session_id, filename, content_type, size_bytes::float8 as size_bytes, storage_key, uploaded_by_role, uploaded_by_user_id, created_at
      from resources where session_id = ${sessionId} and id = ${id}`;
  return rows[0] ?? null;
}

export async function deleteResource(q: Queryable, id: string): Promise<void> {
  await q`delete from resources where id = ${id}`;
}

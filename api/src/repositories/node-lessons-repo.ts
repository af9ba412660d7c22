// Lessons as seen from a media node: the ones placed there that are still going on.
import type { Queryable } from '../db/connect.ts';
import type { Session } from '../domain/session.ts';
import { findSession } from './sessions-repo.ts';

export async function openLessonsOnNode(q: Queryable, nodeId: string): Promise<Session[]> {
  const rows = await q<{ id: string }[]>`
    select id from sessions where media_node = ${nodeId} and status in ('waiting', 'live', 'reconnecting') order by id`;
  const out: Session[] = [];
  for (const { id } of rows) {
    const s = await findSession(q, id);
    if (s) out.push(s);
  }
  return out;
}

// Applies api/migrations/*.sql in file-name order, each once (schema_migrations), then copies the
// lesson transition table from TS into the database. Runs at every start; a no-op when current.
// An advisory lock serializes concurrent starts of several API processes on one PostgreSQL.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { LESSON_TRANSITIONS } from '../domain/lesson-status.ts';
import type { Queryable, Sql } from './connect.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
const MIGRATION_LOCK_KEY = 74_201_001; // arbitrary, constant: "duet api migrations"

export interface Migration {
  version: string;
  sql: string;
  checksum: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(`${dir}/${file}`, 'utf8');
      return { version: file.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

export async function migrate(sql: Sql, migrations?: Migration[]): Promise<{ applied: string[] }> {
  const all = migrations ?? (await loadMigrations());
  const applied: string[] = [];
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
    await tx`
      create table if not exists schema_migrations (
        version    text primary key,
        checksum   text not null,
        applied_at timestamptz not null default now()
      )`;
    const done = new Map(
      (await tx<{ version: string; checksum: string }[]>`select version, checksum from schema_migrations`).map(
        (r) => [r.version, r.checksum],
      ),
    );
    for (const m of all) {
      const seen = done.get(m.version);
      if (seen !== undefined) {
        // An edited migration would leave databases that ran the old text silently different.
        if (seen !== m.checksum) throw new Error(`migration ${m.version} was changed after it was applied`);
        continue;
      }
      await tx.unsafe(m.sql);
      await tx`insert into schema_migrations (version, checksum) values (${m.version}, ${m.checksum})`;
      applied.push(m.version);
    }
    await syncLessonTransitions(tx);
  });
  return { applied };
}

/** Makes session_status_transitions hold exactly LESSON_TRANSITIONS (upsert + delete the rest). */
export async function syncLessonTransitions(tx: Queryable): Promise<void> {
  const rows = LESSON_TRANSITIONS.map((t) => ({ from_status: t.from, to_status: t.to }));
  await tx`
    insert into session_status_transitions (from_status, to_status)
    select from_status, to_status from jsonb_to_recordset(${tx.json(rows)}) as r(from_status text, to_status text)
    on conflict do nothing`;
  await tx`
    delete from session_status_transitions t
     where not exists (
       select 1 from jsonb_to_recordset(${tx.json(rows)}) as r(from_status text, to_status text)
        where r.from_status = t.from_status and r.to_status = t.to_status)`;
}

// No-show detection and auto-end. Each pass locks due lessons with FOR UPDATE SKIP LOCKED, so any
// number of API instances can run it at once: a lesson is handled by exactly one of them, and the
// status compare-and-set plus the transition trigger make a double move impossible anyway.
import type { AppContext } from '../context.ts';
import { endsAt, noShowGraceMs, type Session } from '../domain/session.ts';
import { ROLES, type Role } from '../tokens/join-token.ts';
import { lockDueLessons } from '../repositories/sessions-repo.ts';
import { listIntervals } from '../repositories/attendance-repo.ts';
import { completeLesson, NEVER_OVERLAPPED } from '../services/hooks-service.ts';
import { changeLessonStatus } from '../services/lesson-status-service.ts';
import type { Tx } from '../db/connect.ts';
import { IDEMPOTENCY_TTL_MS, purgeIdempotencyKeys } from '../repositories/idempotency-repo.ts';
import { runRetentionOnce } from '../services/recording-lifecycle-service.ts';
import { createBoardExports } from '../services/whiteboard-export-service.ts';

const BATCH_SIZE = 25;

export interface LessonJobResult {
  noShows: string[];
  ended: string[];
}

/** One pass over every lesson that is due now; returns what this runner did. */
export async function runLessonJobsOnce(ctx: AppContext): Promise<LessonJobResult> {
  const result: LessonJobResult = { noShows: [], ended: [] };
  // Idempotency-Key records live 24 h (http/idempotency.ts); expired ones go with each pass.
  await purgeIdempotencyKeys(ctx.sql, new Date(ctx.now().getTime() - IDEMPOTENCY_TTL_MS));
  for (;;) {
    const handled = await ctx.sql.begin(async (tx) => {
      const due = await lockDueLessons(tx, ctx.now(), BATCH_SIZE);
      for (const s of due) await handle(ctx, tx, s, result);
      return due.length;
    });
    if (handled > 0) ctx.eventsCommitted();
    if (handled < BATCH_SIZE) return result;
  }
}

async function handle(ctx: AppContext, tx: Tx, s: Session, result: LessonJobResult): Promise<void> {
  if (s.status === 'live' || s.status === 'reconnecting') {
    await completeLesson(ctx, tx, s, endsAt(s), 'time_up');
    result.ended.push(s.id);
    return;
  }
  // scheduled (nobody came) or waiting (one came, the other never joined them).
  const attended = new Set((await listIntervals(tx, s.id)).map((i) => i.role));
  const absent: Role[] = ROLES.filter((r) => !attended.has(r));
  if (absent.length === 0) {
    // Both came, one after the other, never together (else it would be live): due at its end, and
    // completed — neither side failed to show up, so no no-show and no penalty.
    await completeLesson(ctx, tx, s, endsAt(s), NEVER_OVERLAPPED);
    result.ended.push(s.id);
    return;
  }
  const mutual = absent.length === ROLES.length;
  const at = new Date(s.scheduledStart.getTime() + noShowGraceMs(s));
  await changeLessonStatus(ctx, tx, s, 'no_show', {
    at,
    reason: mutual ? 'nobody_came' : 'participant_absent',
    // Mutual no-shows carry no penalty: nobody can be blamed for the other's absence.
    data: { absent, present: ROLES.filter((r) => attended.has(r)), mutual, penalty: !mutual },
    stamps: { tutorNoShow: absent.includes('tutor'), studentNoShow: absent.includes('student') },
  });
  result.noShows.push(s.id);
}

export interface LessonJobs {
  start(): void;
  stop(): Promise<void>;
}

export function createLessonJobs(ctx: AppContext): LessonJobs {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | null = null;
  let stopped = true;
  const boards = createBoardExports(ctx);
  const tick = () => {
    if (stopped) return;
    running = runLessonJobsOnce(ctx)
      .then(async (r) => {
        if (r.noShows.length + r.ended.length > 0) ctx.log.info({ noShows: r.noShows.length, ended: r.ended.length }, 'lesson jobs');
        // Recording retention rides the same timer (same SKIP LOCKED rule for several instances).
        const kept = await runRetentionOnce(ctx);
        if (kept.deleted.length > 0) ctx.log.info({ deleted: kept.deleted.length }, 'recording retention');
        // Ended lessons' boards to the lesson's files (whiteboard-export-service.ts).
        await boards.runOnce();
      })
      .catch((err: unknown) => ctx.log.error({ err }, 'lesson jobs pass failed'))
      .finally(() => {
        running = null;
        if (!stopped) timer = setTimeout(tick, ctx.config.lessonJobsIntervalMs);
      });
  };
  return {
    start() {
      if (!stopped) return;
      stopped = false;
      timer = setTimeout(tick, 0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

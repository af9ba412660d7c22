// Operator retry of a failed recording (POST /v1/recordings/:id/retry, API key; `duet recordings
// retry <id>`): the recording's local files are on the recorder beside some media node — the
// lesson's last node first, then every other registered node — which is asked to finalize again
// (media node /internal/recordings/:id/retry -> its recorder). The row goes back to processing;
// the recorder's recording.ready / recording.failed hook settles it as usual.
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { listNodes } from '../repositories/media-nodes-repo.ts';
import { nodeCredential } from './node-credentials.ts';
import { findRecordingById, markRetrying } from '../repositories/recordings-repo.ts';
import { findSession } from '../repositories/sessions-repo.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NODE_TIMEOUT_MS = 5_000;

export async function retryRecording(ctx: AppContext, id: string): Promise<{ recording_id: string; session_id: string; status: 'processing'; media_node: string }> {
  if (!UUID_RE.test(id)) throw new ApiError(404, 'recording_not_found', 'recording not found');
  const rec = await findRecordingById(ctx.sql, id);
  if (!rec) throw new ApiError(404, 'recording_not_found', 'recording not found');
  if (rec.status !== 'failed') throw new ApiError(409, 'recording_not_failed', `only failed recordings can be retried (this one is ${rec.status})`);
  const session = await findSession(ctx.sql, rec.session_id);
  const nodes = (await listNodes(ctx.sql)).sort((a, b) => Number(b.id === session?.mediaNode) - Number(a.id === session?.mediaNode));
  const tried: string[] = [];
  for (const node of nodes) {
    let res: Response;
    try {
      res = await fetch(`${node.internalUrl}/internal/recordings/${id}/retry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${nodeCredential(ctx.config, node.id)}`, 'content-type': 'application/json' },
        body: '{}',
        signal: AbortSignal.timeout(NODE_TIMEOUT_MS),
      });
    } catch (err) {
      tried.push(`${node.id}: unreachable`);
      ctx.log.warn({ node: node.id, recording_id: id, error: (err as Error).message }, 'recording retry: media node unreachable');
      continue;
    }
    await res.arrayBuffer().catch(() => undefined);
    if (res.status === 202) {
      await markRetrying(ctx.sql, id);
      ctx.log.info({ node: node.id, recording_id: id, session_id: rec.session_id }, 'recording retry started');
      return { recording_id: id, session_id: rec.session_id, status: 'processing', media_node: node.id };
    }
    if (res.status === 409) throw new ApiError(409, 'recording_not_failed', `the recorder on ${node.id} is not holding this recording as failed (already retrying?)`);
    tried.push(`${node.id}: ${res.status}`);
  }
  throw new ApiError(409, 'recording_files_not_found', `no media node's recorder holds this recording's local files (asked ${tried.length} node(s)${tried.length ? `: ${tried.join(', ')}` : ''})`);
}

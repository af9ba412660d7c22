// `duet recordings retry <recording id>`: a failed recording (e.g. storage was down past
// RECORDER_UPLOAD_DEADLINE_HOURS) is finalized again by the recorder that holds its local files.
import { CliError, type ApiClient } from './api-client.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function recordingsCommand(sub: string | undefined, rest: string[], json: boolean, io: { out(line: string): void }, api: ApiClient, usage: string): Promise<number> {
  if (sub !== 'retry') throw new CliError(`unknown command: duet recordings ${sub ?? ''}\n\n${usage}`, 2);
  const id = rest[0];
  if (!id || !UUID_RE.test(id)) throw new CliError('usage: duet recordings retry <recording id (a UUID)>', 2);
  const res = await api.call(`POST /v1/recordings/${id}/retry`, api.duet.POST('/v1/recordings/{id}/retry', { params: { path: { id } }, body: {} }));
  if (json) io.out(JSON.stringify(res, null, 2));
  else io.out(`recording ${res.recording_id} (lesson ${res.session_id}) is being finalized again on media node ${res.media_node}; its webhook follows (recording.ready or recording.failed)`);
  return 0;
}

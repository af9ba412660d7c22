// A recording that spans media nodes. When a lesson moves to another node (its node died, or was
// drained), that node's recorder continues the SAME recording: it finds the recording's live
// manifest in object storage, starts a new part under the same recordingId (its runs numbered
// above every earlier run, so storage keys never collide), and finalizes with the earlier parts'
// segments fetched back from storage. Each part uploads its own manifest to `parts/<partId>.json`,
// which nobody else writes, so a drained recorder that is still uploading never loses its last
// segments to the new node's manifest.
import { isManifest, storagePrefix, type Manifest, type TrackEntry } from './manifest.ts';
import type { ObjectStore } from './store.ts';

async function readJson(store: ObjectStore, key: string): Promise<unknown> {
  const obj = await store.get(key);
  const chunks: Buffer[] = [];
  for await (const c of obj.body) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

/** The lesson's recording still live in storage (written by a recorder on another node), if any. */
export async function findContinuable(store: ObjectStore, lessonId: string, skip: (recordingId: string) => boolean): Promise<Manifest | undefined> {
  const prefix = `recordings/sessions/${lessonId}/`;
  const keys = (await store.list(prefix)).map((o) => o.key).filter((k) => /^[^/]+\/manifest\.json$/.test(k.slice(prefix.length)));
  let best: Manifest | undefined;
  for (const key of keys) {
    const m = await readJson(store, key).catch(() => undefined);
    if (!isManifest(m) || m.lessonId !== lessonId || m.state !== 'recording' || !m.partId || skip(m.recordingId)) continue;
    if (!best || m.createdAt > best.createdAt) best = m;
  }
  return best;
}

/** Every part's own manifest of a recording, as uploaded by its recorder. */
export async function loadParts(store: ObjectStore, lessonId: string, recordingId: string): Promise<Manifest[]> {
  const prefix = `${storagePrefix(lessonId, recordingId)}/parts/`;
  const parts: Manifest[] = [];
  for (const { key } of await store.list(prefix)) {
    if (!key.endsWith('.json')) continue;
    const m = await readJson(store, key);
    if (isManifest(m) && m.recordingId === recordingId) parts.push(m);
  }
  return parts;
}

/** True when another part continued this one (the lesson moved on): that part finalizes. */
export function continuedElsewhere(parts: Manifest[], me: Manifest): boolean {
  return parts.some((p) => p.partId !== me.partId && p.continues === me.partId);
}

/**
 * The tracks of the parts before `me` (the chain of `continues`), with only the segments confirmed in
 * storage. `lost` lists why something is missing: a run that never closed (its recorder died with the
 * segment open) or segments that never reached storage.
 */
export function earlierTracks(parts: Manifest[], me: Manifest): { tracks: TrackEntry[]; lost: string[] } {
  const byId = new Map(parts.map((p) => [p.partId, p]));
  const tracks: TrackEntry[] = [];
  const lost = new Set<string>();
  const seen = new Set<string>();
  for (let id = me.continues; id && !seen.has(id); id = byId.get(id)?.continues) {
    seen.add(id);
    const part = byId.get(id);
    if (!part) {
      lost.add('earlier_part_missing');
      break;
    }
    for (const r of part.partialReasons) lost.add(r);
    for (const t of part.tracks) {
      const runs = t.runs.map((r) => {
        if (r.end === undefined || r.end === 'interrupted') lost.add('media_node_lost');
        if (r.segments.some((s) => !s.uploaded)) lost.add('media_node_lost');
        return { ...r, segments: r.segments.filter((s) => s.uploaded) };
      });
      tracks.push({ ...t, runs });
    }
  }
  return { tracks, lost: [...lost] };
}

/**
 * Runs of a continuing part start above every run an earlier part may have used (with a margin:
 * the stored manifest may lag behind a run its recorder had just started).
 */
export function nextRunBase(m: Manifest): number {
  const all = m.tracks.flatMap((t) => t.runs.map((r) => r.index));
  return Math.max(m.runBase ?? 0, ...all.map((i) => i + 1)) + 100;
}

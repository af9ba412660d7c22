// Lesson metadata (issue 16 item 1): a small JSON object the marketplace attaches to a lesson (its
// booking id, course, plan) and gets back on every read and in every webhook about the lesson.
// Bounded so it can never be a storage or a webhook-size weapon: at most 4 KB serialized, 5 levels
// deep, 50 keys in all (every level counted), keys ≤ 100 characters. The walk is iterative and stops
// at the first excess, so a deeply nested bomb costs nothing (the body parser and the NUL check
// bound the nesting before this runs, too).
import { ApiError } from '../errors.ts';

export const METADATA_MAX_BYTES = 4096;
export const METADATA_MAX_DEPTH = 5;
export const METADATA_MAX_KEYS = 50;
export const METADATA_MAX_KEY_LENGTH = 100;

export type Metadata = Record<string, unknown>;

const invalid = (message: string) => new ApiError(400, 'metadata_invalid', message, {
  limits: { max_bytes: METADATA_MAX_BYTES, max_depth: METADATA_MAX_DEPTH, max_keys: METADATA_MAX_KEYS, max_key_length: METADATA_MAX_KEY_LENGTH },
});

/** Throws 400 metadata_invalid unless `value` is a JSON object within the bounds; returns it. */
export function checkMetadata(value: unknown): Metadata {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('metadata must be a JSON object');
  let keys = 0;
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 1 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > METADATA_MAX_DEPTH) throw invalid(`metadata is nested more than ${METADATA_MAX_DEPTH} levels deep`);
    const entries = Array.isArray(v) ? v.map((x) => ['', x] as const) : Object.entries(v);
    for (const [k, child] of entries) {
      if (!Array.isArray(v)) {
        if (++keys > METADATA_MAX_KEYS) throw invalid(`metadata has more than ${METADATA_MAX_KEYS} keys`);
        if (k.length > METADATA_MAX_KEY_LENGTH) throw invalid(`metadata keys are at most ${METADATA_MAX_KEY_LENGTH} characters`);
      }
      if (stack.length > METADATA_MAX_KEYS * 2 + 100) throw invalid('metadata is too large');
      stack.push({ v: child, depth: depth + 1 });
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > METADATA_MAX_BYTES) throw invalid(`metadata is ${bytes} bytes serialized; at most ${METADATA_MAX_BYTES}`);
  return value as Metadata;
}

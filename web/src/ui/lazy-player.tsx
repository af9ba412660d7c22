// The recording player lives in its own chunk (web/src/player): the room never loads it, the
// post-session screen and the standalone recording page load it when there is something to play.
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n/i18n.ts';

type PlayerModule = typeof import('../player/recording-player.tsx');
let chunk: Promise<PlayerModule> | undefined;
const loadPlayer = () => (chunk ??= import('../player/recording-player.tsx'));

export function LazyRecordingPlayer(props: { playbackUrl: string }) {
  const [mod, setMod] = useState<PlayerModule | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    loadPlayer().then(setMod, () => setFailed(true));
  }, []);
  if (failed) return <p class="warn-text">{t('post.recording_failed')}</p>;
  if (!mod) return <span class="spinner small" aria-hidden="true" />;
  return <mod.RecordingPlayer playbackUrl={props.playbackUrl} />;
}

/**
 * `/session/<id>/recording/<recordingId>?exp=…&sig=…`: the API path to read, signature kept (and
 * `seat`, which a participant's signed URL carries and its signature covers).
 */
export function standaloneRecordingPath(loc: Pick<Location, 'pathname' | 'search'>): string | null {
  const m = /^\/session\/([^/]+)\/recording\/([^/]+)\/?$/.exec(loc.pathname);
  if (!m) return null;
  const q = new URLSearchParams(loc.search);
  const exp = q.get('exp');
  const sig = q.get('sig');
  const seat = q.get('seat');
  const auth = exp && sig ? `?${new URLSearchParams({ exp, ...(seat ? { seat } : {}), sig }).toString()}` : '';
  return `/v1/sessions/${m[1]}/recordings/${m[2]}/playback${auth}`;
}

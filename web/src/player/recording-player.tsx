// The recording player (a lazy chunk: loaded only on the post-session screen when a recording is
// there, and on the standalone page /session/:id/recording/:recordingId). Seconds after the lesson
// it plays the copied segments (segment-timeline.ts): both people side by side, the screen share
// below, both voices together, with seeking; once the composed MP4 is ready, that file.
import { useEffect, useRef, useState } from 'preact/hooks';
import { elapsed } from '../lib/format.ts';
import { t } from '../i18n/i18n.ts';
import { LessonClock, TrackFeed, type PlaybackTrackJson } from './segment-timeline.ts';

interface PlaybackJson {
  recording_id: string;
  mode: 'segments' | 'file';
  duration_seconds: number | null;
  file_url: string | null;
  tracks: PlaybackTrackJson[];
}

type Load = { state: 'waiting' } | { state: 'error' } | { state: 'ok'; playback: PlaybackJson };

/** Reads the playback description, retrying while the recording is not playable yet (409). */
function usePlayback(url: string): Load {
  const [load, setLoad] = useState<Load>({ state: 'waiting' });
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = async (n: number) => {
      try {
        const res = await fetch(url, { credentials: 'omit', cache: 'no-store' });
        if (res.ok) {
          if (!stop) setLoad({ state: 'ok', playback: (await res.json()) as PlaybackJson });
          return;
        }
        if (res.status !== 409 || n > 600) throw new Error(String(res.status));
      } catch {
        if (n > 5 && !stop) return setLoad({ state: 'error' });
      }
      if (!stop) timer = setTimeout(() => void attempt(n + 1), 1000);
    };
    void attempt(0);
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [url]);
  return load;
}

export function RecordingPlayer(props: { playbackUrl: string }) {
  const load = usePlayback(props.playbackUrl);
  if (load.state === 'waiting') {
    return (
      <p class="processing" data-testid="player-waiting" role="status">
        <span class="spinner small" aria-hidden="true" /> {t('post.processing')}
      </p>
    );
  }
  if (load.state === 'error') return <p class="warn-text">{t('post.recording_failed')}</p>;
  const p = load.playback;
  if (p.mode === 'file' && p.file_url) {
    return <video class="recording-player" controls preload="metadata" src={p.file_url} aria-label={t('post.recording_label')} data-testid="recording-player" />;
  }
  return <SegmentPlayer playback={p} />;
}

const TILE_ORDER = ['tutor', 'student'];

function SegmentPlayer(props: { playback: PlaybackJson }) {
  const { playback } = props;
  const duration = playback.duration_seconds ?? Math.max(0, ...playback.tracks.flatMap((t) => t.segments.map((s) => s.start + s.duration)));
  const supported = playback.tracks.filter((tr) => typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported(tr.mime_type));
  const videos = supported.filter((tr) => tr.kind === 'video').sort((a, b) => (a.source === 'screen' ? 1 : 0) - (b.source === 'screen' ? 1 : 0) || TILE_ORDER.indexOf(a.role) - TILE_ORDER.indexOf(b.role));
  const audios = supported.filter((tr) => tr.kind === 'audio');
  const elements = useRef<(HTMLMediaElement | null)[]>([]);
  const [clock] = useState(() => new LessonClock(duration));
  const [now, setNow] = useState(0);
  const [playing, setPlaying] = useState(false);

  useEffect(() => {
    const all = [...videos, ...audios];
    const feeds = all.flatMap((tr, i) => (elements.current[i] ? [new TrackFeed(tr, elements.current[i]!, duration)] : []));
    let waiting = false;
    const tick = () => {
      const t = clock.now();
      // Hold the clock while a segment that should play is still being fetched (start, seek): no
      // stutter. Once appended it plays when the element can (a track may start inside its segment).
      const starved = clock.playing || waiting ? feeds.some((f) => !f.loaded(t)) : false;
      if (clock.playing && starved) {
        clock.pause();
        waiting = true;
      } else if (waiting && !starved) {
        waiting = false;
        clock.play();
      }
      const playingNow = clock.playing;
      for (const f of feeds) {
        void f.fill(t);
        f.follow(t, playingNow);
      }
      setNow(t);
      setPlaying(playingNow || waiting);
    };
    const timer = setInterval(tick, 200);
    (window as unknown as { __duetPlayer?: unknown }).__duetPlayer = {
      clock: () => clock.now(),
      seek: (s: number) => {
        clock.seek(s);
        tick();
      },
      elements: () => feeds.map((f) => ({ role: f.track.role, source: f.track.source, kind: f.track.kind, time: f.el.currentTime, active: f.el.dataset.active === 'true', paused: f.el.paused, readyState: f.el.readyState })),
    };
    tick();
    return () => {
      clearInterval(timer);
      for (const f of feeds) f.close();
    };
  }, [playback]);

  const toggle = () => {
    if (clock.playing) clock.pause();
    else clock.play();
    setPlaying(clock.playing);
  };
  let index = 0;
  return (
    <div class="segment-player" data-testid="segment-player">
      <div class="segment-player-stage">
        {videos.map((tr) => {
          const i = index++;
          return (
            <video
              key={`${tr.role}-${tr.source}`}
              ref={(el) => void (elements.current[i] = el)}
              class={`segment-player-${tr.source === 'screen' ? 'screen' : 'camera'}`}
              data-role={tr.role}
              data-source={tr.source}
              data-testid="segment-video"
              muted
              playsInline
              aria-label={t('post.recording_label')}
            />
          );
        })}
        {audios.map((tr) => {
          const i = index++;
          return <audio key={`${tr.role}-${tr.source}-a`} ref={(el) => void (elements.current[i] = el)} data-role={tr.role} data-testid="segment-audio" />;
        })}
      </div>
      <div class="segment-player-controls">
        <button class="btn" type="button" onClick={toggle} data-testid="player-toggle" aria-pressed={playing}>
          {playing ? '❚❚' : '▶'}
        </button>
        <input
          type="range"
          min={0}
          max={duration}
          step={0.1}
          value={now}
          aria-label={t('post.recording_label')}
          data-testid="player-seek"
          onInput={(e) => clock.seek(Number((e.target as HTMLInputElement).value))}
        />
        <span class="muted small" data-testid="player-time">
          {elapsed(Math.floor(now))} / {elapsed(Math.floor(duration))}
        </span>
      </div>
    </div>
  );
}

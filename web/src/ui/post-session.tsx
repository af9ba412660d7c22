// The post-session screen: "Lesson ended", stats, rating (once), recording, resources, the
// tutor's upload and the marketplace's next-step links.
import { useRef, useState } from 'preact/hooks';
import { duration as formatDuration, elapsed } from '../lib/format.ts';
import type { Recording } from '../lib/lesson-api.ts';
import type { PageConfig } from '../lib/page-config.ts';
import { lessonTitle, otherPerson } from '../page/lesson-view.ts';
import { firstJoin, lessonDurationSeconds, type PostSessionState } from '../page/post-session.ts';
import { Screen } from './common.tsx';
import { Icon } from './icons.tsx';
import { LazyRecordingPlayer } from './lazy-player.tsx';
import { ResourceList } from './side-panel.tsx';
import { Actions } from './state-screens.tsx';
import type { UploadState } from '../lib/uploads.ts';
import { formatClock as clock, t, type MessageKey } from '../i18n/i18n.ts';

const END_REASON: Record<string, MessageKey> = {
  ended_by_tutor: 'post.reason_ended_by_tutor',
  time_up: 'post.reason_time_up',
  never_overlapped: 'post.reason_never_overlapped',
};

export function PostSessionView(props: {
  config: PageConfig;
  state: PostSessionState;
  role: 'tutor' | 'student' | null;
  endReason: string | null;
  onRate: (rating: number, comment: string) => void;
  onUpload: (files: File[]) => void;
  onRejoin: (() => void) | null;
}) {
  const { state: s, role } = props;
  const lesson = s.lesson;
  const other = lesson ? otherPerson(lesson, role) : null;
  const stillRunning = !!lesson && ['waiting', 'live', 'reconnecting', 'scheduled'].includes(lesson.status);
  const dur = lessonDurationSeconds(lesson, s.attendance, role);
  const myJoin = firstJoin(s.attendance, role);
  const otherJoin = other ? firstJoin(s.attendance, other.role) : null;
  return (
    <Screen config={props.config} wide testId="post-session" label={t('post.ended')}>
      <p class="eyebrow">{lesson ? lessonTitle(lesson) : ''}</p>
      <h1>{stillRunning ? t('post.you_left') : t('post.ended')}</h1>
      <p class="muted">
        {stillRunning
          ? t('post.may_still_be_there', { name: other?.name ?? t('room.other_person') })
          : props.endReason === 'ended_by_tutor' && role === 'tutor'
            ? t('post.you_ended')
            : props.endReason && END_REASON[props.endReason]
              ? t(END_REASON[props.endReason]!)
              : t('post.thanks', { brand: props.config.brand ?? 'Duet' })}
      </p>
      {stillRunning && props.onRejoin ? (
        <button class="btn primary" onClick={props.onRejoin} data-testid="rejoin">
          {t('post.rejoin')}
        </button>
      ) : null}

      <dl class="stats" data-testid="stats">
        <div>
          <dt>{t('post.duration')}</dt>
          <dd data-testid="stat-duration">{dur !== null ? formatDuration(dur) : '—'}</dd>
        </div>
        <div>
          <dt>{t('post.you_joined')}</dt>
          <dd data-testid="stat-my-join">{myJoin ? clock(myJoin) : '—'}</dd>
        </div>
        <div>
          <dt>{other ? t('post.other_joined', { name: other.name }) : t('post.other_joined', { name: t('room.other_person') })}</dt>
          <dd data-testid="stat-other-join">{otherJoin ? clock(otherJoin) : t('post.did_not_join')}</dd>
        </div>
      </dl>

      <div class="post-grid">
        <section class="post-section" aria-labelledby="rate-title">
          <h2 id="rate-title">{t('post.how_was_it')}</h2>
          <Rating state={s} onRate={props.onRate} ended={!stillRunning} />
        </section>

        {lesson?.recording ? (
          <section class="post-section" aria-labelledby="rec-title" data-testid="recording-section">
            <h2 id="rec-title">{t('post.recording')}</h2>
            <Recordings recordings={s.recordings} />
          </section>
        ) : null}

        <section class="post-section" aria-labelledby="res-title">
          <h2 id="res-title">{t('post.materials')}</h2>
          <ResourceList resources={s.resources} emptyText={role === 'tutor' ? t('post.materials_empty_tutor') : t('post.materials_empty_student')} />
          {role === 'tutor' ? <Upload state={s.upload} onUpload={props.onUpload} /> : null}
        </section>
      </div>

      <Actions config={props.config} />
    </Screen>
  );
}

function Rating(props: { state: PostSessionState; ended: boolean; onRate: (rating: number, comment: string) => void }) {
  const [rating, setRating] = useState(0);
  const [comment, setComment] = useState('');
  const s = props.state;
  if (s.feedbackState === 'sent' && s.feedback) {
    return (
      <div class="rated" data-testid="rated" role="status">
        <Stars value={s.feedback.rating} />
        <p>
          {t('post.rated_prefix')} <strong>{t('post.rated_value', { n: s.feedback.rating })}</strong>
        </p>
        {s.feedback.comment ? <blockquote>{s.feedback.comment}</blockquote> : null}
      </div>
    );
  }
  if (!props.ended || s.feedbackState === 'not_ended') return <p class="muted">{t('post.rate_after_end')}</p>;
  return (
    <form
      class="rating-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (rating) props.onRate(rating, comment);
      }}
      data-testid="rating-form"
    >
      <fieldset class="stars-input">
        <legend class="sr-only">{t('post.rating_legend')}</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} class={n <= rating ? 'on' : ''}>
            <input type="radio" name="rating" value={n} checked={rating === n} onChange={() => setRating(n)} data-testid={`star-${n}`} />
            <Icon name="star" size={30} />
            <span class="sr-only">
              {n === 1 ? t('post.one_star') : t('post.n_stars', { n })}
            </span>
          </label>
        ))}
        <span class="rating-text" aria-hidden="true">
          {rating ? `${rating}/5` : t('post.choose')}
        </span>
      </fieldset>
      <label for="rating-comment" class="field-label">
        {t('post.comment')}
      </label>
      <textarea id="rating-comment" maxLength={2000} value={comment} onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)} data-testid="rating-comment" />
      {s.feedbackState === 'error' ? (
        <p class="warn-text" role="alert">
          {t('post.rating_failed')}
        </p>
      ) : null}
      <button class="btn primary" type="submit" disabled={!rating || s.feedbackState === 'sending'} data-testid="rating-submit">
        {s.feedbackState === 'sending' ? t('post.sending') : t('post.submit')}
      </button>
    </form>
  );
}

function Stars(props: { value: number }) {
  return (
    <span class="stars" aria-hidden="true">
      {[1, 2, 3, 4, 5].map((n) => (
        <span key={n} class={n <= props.value ? 'on' : ''}>
          <Icon name="star" size={22} />
        </span>
      ))}
    </span>
  );
}

function Recordings(props: { recordings: Recording[] | null }) {
  const recs = props.recordings;
  if (!recs || !recs.length || recs.every((r) => r.status === 'processing' && !r.playback_url)) {
    return (
      <p class="processing" data-testid="recording-processing" role="status">
        <span class="spinner small" aria-hidden="true" /> {t('post.processing')}
      </p>
    );
  }
  return (
    <ul class="recordings">
      {recs.map((r) => (
        <li key={r.id} data-testid="recording" data-status={r.status}>
          {r.status === 'ready' && r.url ? (
            <>
              <video class="recording-player" controls preload="metadata" src={r.url} aria-label={t('post.recording_label')} data-testid="recording-player" />
              <p class="muted small">
                {t('post.duration')} <strong data-testid="recording-duration">{r.duration_seconds != null ? elapsed(r.duration_seconds) : '—'}</strong>
                {r.partial ? ` · ${t('post.partial')}` : ''} ·{' '}
                <a href={r.url} download>
                  {t('resources.download')}
                </a>
              </p>
            </>
          ) : r.status === 'processing' && r.playback_url ? (
            // Watchable from the recorded segments seconds after the lesson; the MP4 follows.
            <LazyRecordingPlayer playbackUrl={r.playback_url} />
          ) : r.status === 'processing' ? (
            <p class="processing">
              <span class="spinner small" aria-hidden="true" /> {t('post.processing')}
            </p>
          ) : r.status === 'deleted' ? (
            <p class="muted" data-testid="recording-deleted">
              {t('post.recording_deleted')}
            </p>
          ) : (
            <p class="warn-text">
              <Icon name="warn" size={18} /> {t('post.recording_failed')}
            </p>
          )}
        </li>
      ))}
    </ul>
  );
}

/** The tutor's file upload (post-session, and the room's Resources tab with `idPrefix="room-upload"`). */
export function Upload(props: { state: UploadState; onUpload: (files: File[]) => void; idPrefix?: string }) {
  const input = useRef<HTMLInputElement>(null);
  const id = props.idPrefix ?? 'upload';
  return (
    <div class="upload">
      <input
        ref={input}
        id={`${id}-input`}
        type="file"
        multiple
        class="sr-only"
        tabIndex={-1}
        aria-hidden="true"
        onChange={(e) => {
          const el = e.target as HTMLInputElement;
          props.onUpload([...(el.files ?? [])]);
          el.value = '';
        }}
        data-testid={`${id}-input`}
      />
      <button class="btn" onClick={() => input.current?.click()} disabled={props.state.state === 'uploading'} data-testid={`${id}-button`}>
        <Icon name="upload" size={18} /> {props.state.state === 'uploading' ? t('upload.uploading') : id === 'upload' ? t('upload.button') : t('upload.share_file')}
      </button>
      {props.state.state === 'done' || props.state.state === 'error' ? (
        <p class={props.state.state === 'error' ? 'warn-text' : 'muted small'} role={props.state.state === 'error' ? 'alert' : 'status'} data-testid={`${id}-status`}>
          {props.state.message}
        </p>
      ) : null}
    </div>
  );
}

// The post-session screen: "Lesson ended", stats, rating (once), recording, resources, the
// tutor's upload and the marketplace's next-step links.
import { useRef, useState } from 'preact/hooks';
import { clock, duration as formatDuration, elapsed } from '../lib/format.ts';
import type { Recording } from '../lib/lesson-api.ts';
import type { PageConfig } from '../lib/page-config.ts';
import { lessonTitle, otherPerson } from '../page/lesson-view.ts';
import { firstJoin, lessonDurationSeconds, type PostSessionState } from '../page/post-session.ts';
import { Screen } from './common.tsx';
import { Icon } from './icons.tsx';
import { ResourceList } from './side-panel.tsx';
import { Actions } from './state-screens.tsx';
import type { UploadState } from '../lib/uploads.ts';
import { t } from '../i18n/i18n.ts';

const END_REASON: Record<string, string> = {
  ended_by_tutor: 'The tutor ended the lesson.',
  time_up: 'The scheduled time is over.',
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
    <Screen config={props.config} wide testId="post-session" label="Lesson ended">
      <p class="eyebrow">{lesson ? lessonTitle(lesson) : ''}</p>
      <h1>{stillRunning ? 'You left the lesson' : 'Lesson ended'}</h1>
      <p class="muted">
        {stillRunning
          ? `${other?.name ?? 'The other person'} may still be in the room.`
          : props.endReason === 'ended_by_tutor' && role === 'tutor'
            ? 'You ended the lesson for both of you.'
            : (props.endReason && END_REASON[props.endReason]) || `Thank you for learning with ${props.config.brand ?? 'Duet'}.`}
      </p>
      {stillRunning && props.onRejoin ? (
        <button class="btn primary" onClick={props.onRejoin} data-testid="rejoin">
          Rejoin the lesson
        </button>
      ) : null}

      <dl class="stats" data-testid="stats">
        <div>
          <dt>Duration</dt>
          <dd data-testid="stat-duration">{dur !== null ? formatDuration(dur) : '—'}</dd>
        </div>
        <div>
          <dt>You joined</dt>
          <dd data-testid="stat-my-join">{myJoin ? clock(myJoin) : '—'}</dd>
        </div>
        <div>
          <dt>{other ? `${other.name} joined` : 'Other joined'}</dt>
          <dd data-testid="stat-other-join">{otherJoin ? clock(otherJoin) : 'Did not join'}</dd>
        </div>
      </dl>

      <div class="post-grid">
        <section class="post-section" aria-labelledby="rate-title">
          <h2 id="rate-title">How was the lesson?</h2>
          <Rating state={s} onRate={props.onRate} ended={!stillRunning} />
        </section>

        {lesson?.recording ? (
          <section class="post-section" aria-labelledby="rec-title" data-testid="recording-section">
            <h2 id="rec-title">Recording</h2>
            <Recordings recordings={s.recordings} />
          </section>
        ) : null}

        <section class="post-section" aria-labelledby="res-title">
          <h2 id="res-title">Lesson materials</h2>
          <ResourceList resources={s.resources} emptyText={role === 'tutor' ? 'Nothing shared yet. Upload slides, notes or homework for your student.' : 'Your tutor has not shared any materials yet.'} />
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
          Thanks! You rated this lesson <strong>{s.feedback.rating} out of 5</strong>.
        </p>
        {s.feedback.comment ? <blockquote>{s.feedback.comment}</blockquote> : null}
      </div>
    );
  }
  if (!props.ended || s.feedbackState === 'not_ended') return <p class="muted">You can rate the lesson once it has ended.</p>;
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
        <legend class="sr-only">Rating from 1 to 5 stars</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} class={n <= rating ? 'on' : ''}>
            <input type="radio" name="rating" value={n} checked={rating === n} onChange={() => setRating(n)} data-testid={`star-${n}`} />
            <Icon name="star" size={30} />
            <span class="sr-only">
              {n} star{n > 1 ? 's' : ''}
            </span>
          </label>
        ))}
        <span class="rating-text" aria-hidden="true">
          {rating ? `${rating}/5` : 'Choose 1–5'}
        </span>
      </fieldset>
      <label for="rating-comment" class="field-label">
        Comment (optional)
      </label>
      <textarea id="rating-comment" maxLength={2000} value={comment} onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)} data-testid="rating-comment" />
      {s.feedbackState === 'error' ? (
        <p class="warn-text" role="alert">
          Your rating could not be sent. Try again.
        </p>
      ) : null}
      <button class="btn primary" type="submit" disabled={!rating || s.feedbackState === 'sending'} data-testid="rating-submit">
        {s.feedbackState === 'sending' ? 'Sending…' : 'Submit rating'}
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
  if (!recs || !recs.length || recs.every((r) => r.status === 'processing')) {
    return (
      <p class="processing" data-testid="recording-processing" role="status">
        <span class="spinner small" aria-hidden="true" /> Recording processing…
      </p>
    );
  }
  return (
    <ul class="recordings">
      {recs.map((r) => (
        <li key={r.id} data-testid="recording" data-status={r.status}>
          {r.status === 'ready' && r.url ? (
            <>
              <video class="recording-player" controls preload="metadata" src={r.url} aria-label="Lesson recording" data-testid="recording-player" />
              <p class="muted small">
                Duration <strong data-testid="recording-duration">{r.duration_seconds != null ? elapsed(r.duration_seconds) : '—'}</strong>
                {r.partial ? ' · partial recording (the connection was interrupted)' : ''} ·{' '}
                <a href={r.url} download>
                  Download
                </a>
              </p>
            </>
          ) : r.status === 'processing' ? (
            <p class="processing">
              <span class="spinner small" aria-hidden="true" /> Recording processing…
            </p>
          ) : (
            <p class="warn-text">
              <Icon name="warn" size={18} /> This recording could not be produced.
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

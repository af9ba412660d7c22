// Screens for the states around the room: loading, early (countdown), no-show and every error.
import { countdown, minutesBetween } from '../lib/format.ts';
import { formatClock, formatDay, formatZone, t } from '../i18n/i18n.ts';
import type { Lesson } from '../lib/lesson-api.ts';
import type { PageConfig } from '../lib/page-config.ts';
import type { PageError } from '../page/copy.ts';
import { lessonTitle, otherPerson } from '../page/lesson-view.ts';
import { Avatar, Screen, useTick } from './common.tsx';
import { Icon } from './icons.tsx';

export function Loading(props: { config: PageConfig }) {
  return (
    <Screen config={props.config} busy label={t('app.loading_label')}>
      <div class="center" role="status">
        <span class="spinner" aria-hidden="true" />
        <p class="muted">{t('app.loading')}</p>
      </div>
    </Screen>
  );
}

export function LessonSummary(props: { lesson: Lesson; role: 'tutor' | 'student' | null }) {
  const { lesson } = props;
  const other = otherPerson(lesson, props.role);
  return (
    <div class="lesson-summary">
      <Avatar name={other.name} url={other.avatar_url} size="lg" />
      <div>
        <p class="eyebrow">{other.role === 'tutor' ? t('summary.your_tutor') : t('summary.your_student')}</p>
        <p class="person-name">{other.name}</p>
        <p class="muted">
          {t('summary.when', { day: formatDay(lesson.scheduled_start), start: formatClock(lesson.scheduled_start), end: formatClock(lesson.scheduled_end), zone: formatZone(lesson.scheduled_start), minutes: minutesBetween(lesson.scheduled_start, lesson.scheduled_end) })}
        </p>
      </div>
    </div>
  );
}

export function Early(props: { config: PageConfig; lesson: Lesson; opensAt: Date; role: 'tutor' | 'student' | null }) {
  const now = useTick(1000);
  const left = props.opensAt.getTime() - now;
  return (
    <Screen config={props.config} testId="early" label={t('early.label')}>
      <p class="eyebrow">{lessonTitle(props.lesson)}</p>
      <h1>{t('early.title', { time: `${formatClock(props.opensAt)} ${formatZone(props.opensAt)}` })}</h1>
      <LessonSummary lesson={props.lesson} role={props.role} />
      <div class="countdown" role="timer" aria-live="off">
        <Icon name="clock" />
        <span>
          {t('early.opens_in')} <strong data-testid="countdown">{countdown(left)}</strong>
        </span>
      </div>
      <p class="muted">{t('early.keep_open')}</p>
    </Screen>
  );
}

export function NoShow(props: { config: PageConfig; lesson: Lesson; role: 'tutor' | 'student' | null }) {
  const { lesson, role } = props;
  const other = otherPerson(lesson, role);
  const meAbsent = role === 'tutor' ? lesson.no_show?.tutor : lesson.no_show?.student;
  const otherAbsent = role === 'tutor' ? lesson.no_show?.student : lesson.no_show?.tutor;
  let message = t('noshow.nobody');
  if (otherAbsent && !meAbsent) message = t('noshow.other_absent', { name: other.name });
  else if (meAbsent && !otherAbsent) message = t('noshow.me_absent', { name: other.name });
  return (
    <Screen config={props.config} testId="no-show" label={t('noshow.label')}>
      <p class="eyebrow">{lessonTitle(lesson)}</p>
      <h1>{t('noshow.title')}</h1>
      <p>{message}</p>
      <p class="muted">{t('noshow.book')}</p>
      <Actions config={props.config} />
    </Screen>
  );
}

export function ErrorScreen(props: { config: PageConfig; error: PageError; onRetry: () => void }) {
  const { error } = props;
  return (
    <Screen config={props.config} testId="error" label={error.title}>
      <div role="alert" data-testid="error-body" data-screen={error.screen} data-code={error.code}>
        <div class="error-icon" aria-hidden="true">
          <Icon name="warn" size={28} />
        </div>
        <h1>{error.title}</h1>
        <p class="error-message">{error.message}</p>
        {error.steps ? (
          <ol class="steps">
            {error.steps.map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ol>
        ) : null}
      </div>
      {error.retry ? (
        <button class="btn primary" onClick={props.onRetry} data-testid="retry">
          <Icon name="refresh" /> {t('common.retry')}
        </button>
      ) : (
        <Actions config={props.config} />
      )}
    </Screen>
  );
}

export function Actions(props: { config: PageConfig }) {
  const { dashboard, book, course } = props.config.links;
  if (!dashboard && !book && !course) return null;
  return (
    <nav class="actions" aria-label={t('actions.label')}>
      {dashboard ? (
        <a class="btn" href={dashboard} target="_top" data-testid="link-dashboard">
          {t('actions.dashboard')}
        </a>
      ) : null}
      {book ? (
        <a class="btn primary" href={book} target="_top" data-testid="link-book">
          {t('actions.book')}
        </a>
      ) : null}
      {course ? (
        <a class="btn" href={course} target="_top" data-testid="link-course">
          {t('actions.course')}
        </a>
      ) : null}
    </nav>
  );
}

// Things the room tells both people beyond the media: "you are both here" (once, when the other
// person first arrives), a moved end time (an extension), and the tutor's extend dialog.
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatClock, formatZone, t } from '../i18n/i18n.ts';
import { ApiError } from '../lib/api.ts';
import { Dialog } from './dialog.tsx';
import { Icon } from './icons.tsx';

const NOTICE_MS = 8000;

/** Shown for a few seconds the first time both are present; `present` flips with the peer. */
export function BothJoinedNotice(props: { present: boolean; peerName: string }) {
  const [shown, setShown] = useState(false);
  const seen = useRef(false);
  useEffect(() => {
    if (!props.present || seen.current) return;
    seen.current = true;
    setShown(true);
    const timer = setTimeout(() => setShown(false), NOTICE_MS);
    return () => clearTimeout(timer);
  }, [props.present]);
  if (!shown) return null;
  return (
    <div class="banner banner-info" data-testid="banner-both-joined" role="status">
      <Icon name="check" size={18} />
      <span>{t('room.both_joined', { name: props.peerName })}</span>
      <button class="icon-btn" aria-label={t('room.dismiss')} onClick={() => setShown(false)}>
        <Icon name="close" size={16} />
      </button>
    </div>
  );
}

/**
 * When the end moves later (an extension, from either side), both see the new time. `serverEndsAt`
 * is the API's / media node's value (not corrected for this clock), so a clock offset learned at
 * join never looks like an extension; extensions are whole minutes.
 */
export function ExtendedNotice(props: { serverEndsAt: string | null }) {
  const [shown, setShown] = useState<Date | null>(null);
  const last = useRef<number | null>(null);
  const ms = props.serverEndsAt ? Date.parse(props.serverEndsAt) : null;
  useEffect(() => {
    if (ms === null || Number.isNaN(ms)) return;
    const before = last.current;
    last.current = ms;
    if (before === null || ms < before + 30_000) return;
    setShown(new Date(ms));
  }, [ms]);
  if (!shown) return null;
  return (
    <div class="banner banner-info" data-testid="banner-extended" role="status">
      <Icon name="clock" size={18} />
      <span>{t('room.extended', { time: `${formatClock(shown)} ${formatZone(shown)}` })}</span>
      <button class="icon-btn" aria-label={t('room.dismiss')} onClick={() => setShown(null)}>
        <Icon name="close" size={16} />
      </button>
    </div>
  );
}

const STEPS = [5, 10, 15];

/** Tutor: add minutes, within what the API still allows (LESSON_MAX_EXTENSION_MINUTES in total). */
export function ExtendDialog(props: { minutesLeft: number; onExtend: (minutes: number) => Promise<unknown>; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const choices = STEPS.filter((m) => m <= props.minutesLeft);
  if (props.minutesLeft > 0 && !choices.length) choices.push(props.minutesLeft);
  const extend = async (m: number) => {
    setBusy(true);
    setError(null);
    try {
      await props.onExtend(m);
      props.onClose();
    } catch (err) {
      const reason = err instanceof ApiError && err.code === 'extension_limit' ? t('extend.limit') : err instanceof Error ? err.message : String(err);
      setError(t('extend.failed', { reason }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={t('extend.title')} onClose={props.onClose} testId="extend-dialog" description={props.minutesLeft > 0 ? t('extend.detail', { n: props.minutesLeft }) : t('extend.none_left')}>
      {error ? (
        <p class="warn-text" role="alert" data-testid="extend-error">
          {error}
        </p>
      ) : null}
      <div class="dialog-actions" aria-busy={busy ? 'true' : undefined}>
        <button class="btn" onClick={props.onClose} data-autofocus>
          {t('extend.cancel')}
        </button>
        {choices.map((m) => (
          <button key={m} class="btn primary" disabled={busy} onClick={() => void extend(m)} title={t('extend.add_minutes', { n: m })} data-testid={`extend-${m}`}>
            {t('extend.minutes', { n: m })}
          </button>
        ))}
      </div>
    </Dialog>
  );
}

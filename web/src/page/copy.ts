// Every state or error screen the page can show (the spec's copy, adapted to lessons); the words
// are in the message catalogue.
import { t, type MessageKey } from '../i18n/i18n.ts';
export interface ScreenCopy {
  title: string;
  message: string;
  retry: boolean;
  /** Shown as a list under the message (e.g. how to allow the camera). */
  steps?: string[];
}

/** Screens and whether retrying can help; the words come from the message catalogue (i18n/en.ts: err.<screen>.*). */
const SCREENS: Record<string, { retry: boolean; steps?: MessageKey[] }> = {
  not_found: { retry: false },
  not_participant: { retry: false },
  link_invalid: { retry: false },
  link_expired: { retry: false },
  lesson_ended: { retry: false },
  lesson_cancelled: { retry: false },
  connection_failed: { retry: true },
  devices_denied: { retry: true, steps: ['err.devices_denied.step1', 'err.devices_denied.step2', 'err.devices_denied.step3'] },
  video_unavailable: { retry: true },
  technical_issue: { retry: true },
  replaced: { retry: true },
  link_replaced: { retry: false },
  link_used: { retry: false },
  removed: { retry: false },
  unexpected: { retry: true },
};

function screenCopy(screen: string): ScreenCopy {
  const s = SCREENS[screen]!;
  return {
    title: t(`err.${screen}.title` as MessageKey),
    message: t(`err.${screen}.message` as MessageKey),
    retry: s.retry,
    ...(s.steps ? { steps: s.steps.map((k) => t(k)) } : {}),
  };
}

/** API / signaling error codes → the screen that explains them. */
const CODE_TO_SCREEN: Record<string, string> = {
  session_not_found: 'not_found',
  not_found: 'not_found',
  missing_link: 'not_found',
  token_missing: 'not_found',
  not_a_participant: 'not_participant',
  not_participant: 'not_participant',
  token_wrong_session: 'not_participant',
  token_invalid: 'link_invalid',
  token_expired: 'link_expired',
  lesson_ended: 'lesson_ended',
  lesson_no_show: 'lesson_ended',
  lesson_not_joinable: 'lesson_ended',
  lesson_unavailable: 'lesson_ended',
  lesson_cancelled: 'lesson_cancelled',
  network: 'connection_failed',
  connection_lost: 'connection_failed',
  camera_denied: 'devices_denied',
  devices_denied: 'devices_denied',
  service_unavailable: 'video_unavailable',
  video_unavailable: 'video_unavailable',
  internal_error: 'technical_issue',
  media_error: 'technical_issue',
  replaced: 'replaced',
  // Links the marketplace replaced or revoked (issue 12): say so, offer no pointless retry.
  token_superseded: 'link_replaced',
  token_already_used: 'link_used',
  token_not_redeemed: 'link_invalid',
  participant_revoked: 'removed',
  removed: 'removed',
  lesson_elsewhere: 'video_unavailable',
};

export interface PageError extends ScreenCopy {
  /** The screen shown (stable, for tests and analytics). */
  screen: string;
  /** The code that caused it (API / signaling / browser). */
  code: string;
}

export function pageError(code: string): PageError {
  const screen = CODE_TO_SCREEN[code] ?? (SCREENS[code] ? code : 'unexpected');
  return { screen, code, ...screenCopy(screen) };
}

export const tips = (): string[] => [t('tips.light'), t('tips.headphones'), t('tips.close_apps')];

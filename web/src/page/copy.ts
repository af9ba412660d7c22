// Every sentence a state or error screen shows, in one place (the spec's copy, adapted to lessons).
export interface ScreenCopy {
  title: string;
  message: string;
  retry: boolean;
  /** Shown as a list under the message (e.g. how to allow the camera). */
  steps?: string[];
}

export const ERRORS: Record<string, ScreenCopy> = {
  not_found: { title: 'Lesson not found', message: 'Lesson not found. Check your dashboard.', retry: false },
  not_participant: { title: 'Not your lesson', message: "You're not part of this lesson.", retry: false },
  link_invalid: { title: 'This link does not work', message: 'This join link is not valid. Open the lesson again from your dashboard.', retry: false },
  link_expired: { title: 'This link has expired', message: 'This join link has expired. Open the lesson again from your dashboard.', retry: false },
  lesson_ended: { title: 'Lesson ended', message: 'This lesson has ended.', retry: false },
  lesson_cancelled: { title: 'Lesson cancelled', message: 'This lesson was cancelled. Check your dashboard for details.', retry: false },
  connection_failed: { title: 'Connection failed', message: 'Unable to connect.', retry: true },
  devices_denied: {
    title: 'Camera and microphone blocked',
    message: 'Please allow camera/microphone access.',
    retry: true,
    steps: [
      'Click the camera icon (or the lock) at the left of the address bar.',
      'Set Camera and Microphone to "Allow".',
      'Press Retry. On a phone, allow access in the browser’s site settings.',
    ],
  },
  video_unavailable: { title: 'Video service unavailable', message: 'Video service unavailable. Try again.', retry: true },
  technical_issue: { title: 'Technical issue', message: 'Something went wrong with the lesson connection. Your seat is kept — try again.', retry: true },
  replaced: { title: 'Opened somewhere else', message: 'You joined this lesson from another tab or device. Retry to continue here.', retry: true },
  unexpected: { title: 'Something went wrong', message: 'An unexpected error happened. Try again.', retry: true },
};

/** API / signaling error codes → the screen that explains them. */
const CODE_TO_SCREEN: Record<string, keyof typeof ERRORS> = {
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
};

export interface PageError extends ScreenCopy {
  /** The screen shown (stable, for tests and analytics). */
  screen: string;
  /** The code that caused it (API / signaling / browser). */
  code: string;
}

export function pageError(code: string): PageError {
  const screen = CODE_TO_SCREEN[code] ?? (ERRORS[code] ? code : 'unexpected');
  return { screen, code, ...ERRORS[screen]! };
}

export const TIPS = ['Ensure good lighting: face a window or a lamp.', 'Use headphones for the best audio (no echo).', 'Close other apps that use the camera.'];

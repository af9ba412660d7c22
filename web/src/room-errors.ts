// What the room shows for each error code: a title, a message and whether retrying can help.
import type { ScreenError } from './room-state.ts';

const ERROR_COPY: Record<string, Omit<ScreenError, 'code'>> = {
  not_found: { title: 'Lesson not found', message: 'This link does not match any lesson. Check the link you were sent.', retry: false },
  missing_link: { title: 'Lesson not found', message: 'This page needs the join link you were sent for your lesson.', retry: false },
  token_missing: { title: 'Lesson not found', message: 'This page needs the join link you were sent for your lesson.', retry: false },
  token_invalid: { title: 'Invalid link', message: 'This join link is not valid. Ask for a new one.', retry: false },
  token_expired: { title: 'Link expired', message: 'This join link has expired. Open the lesson again from your dashboard.', retry: false },
  token_wrong_session: { title: 'Not your lesson', message: 'This link belongs to a different lesson.', retry: false },
  not_participant: { title: 'Not your lesson', message: 'You are not a participant of this lesson.', retry: false },
  too_early: { title: 'Too early', message: 'This lesson is not open yet.', retry: true },
  lesson_ended: { title: 'Lesson ended', message: 'This lesson has already ended.', retry: false },
  lesson_cancelled: { title: 'Lesson cancelled', message: 'This lesson was cancelled.', retry: false },
  lesson_no_show: { title: 'Lesson missed', message: 'This lesson was marked as a no-show.', retry: false },
  lesson_unavailable: { title: 'Lesson unavailable', message: 'This lesson can no longer be joined.', retry: false },
  camera_denied: { title: 'Camera or microphone blocked', message: 'Allow camera and microphone access for this site (the camera icon in the address bar), then retry.', retry: true },
  network: { title: 'Connection failed', message: 'The lesson service cannot be reached. Check your connection and retry.', retry: true },
  service_unavailable: { title: 'Video service unavailable', message: 'The video service is not reachable right now. Retry in a moment.', retry: true },
  video_unavailable: { title: 'Video service unavailable', message: 'The video service is not reachable right now. Retry in a moment.', retry: true },
  token_superseded: { title: 'Link replaced', message: 'A newer join link for this lesson was used. Open the lesson again from your dashboard.', retry: false },
  token_already_used: { title: 'Link already used', message: 'This join link was already used. Open the lesson again from your dashboard.', retry: false },
  token_not_redeemed: { title: 'Invalid link', message: 'Open the lesson again from your dashboard.', retry: false },
  participant_revoked: { title: 'Removed from the lesson', message: 'You were removed from this lesson.', retry: false },
  removed: { title: 'Removed from the lesson', message: 'You were removed from this lesson.', retry: false },
  lesson_elsewhere: { title: 'Video service unavailable', message: 'The lesson moved. Retry to reconnect.', retry: true },
  replaced: { title: 'Opened elsewhere', message: 'You joined this lesson from another tab or device.', retry: true },
  screen_denied: { title: 'Screen sharing blocked', message: 'Allow screen sharing for this site to share your screen.', retry: false },
  connection_lost: { title: 'Connection lost', message: 'The connection to the lesson was lost.', retry: true },
};

export function screenError(code: string, fallback?: string): ScreenError {
  const copy = ERROR_COPY[code] ?? { title: 'Something went wrong', message: fallback ?? 'An unexpected error happened.', retry: true };
  return { code, ...copy };
}

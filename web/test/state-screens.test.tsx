// Every state and error screen shows its own copy, and Retry appears only where retrying helps.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { pageError } from '../src/page/copy.ts';
import { entryView } from '../src/page/lesson-view.ts';
import { Early, ErrorScreen, NoShow } from '../src/ui/state-screens.tsx';
import { config, lesson } from './fixtures.ts';

afterEach(cleanup);

describe('error screens', () => {
  const cases: [string, string, string, boolean][] = [
    ['session_not_found', 'Lesson not found', 'Lesson not found. Check your dashboard.', false],
    ['missing_link', 'Lesson not found', 'Lesson not found. Check your dashboard.', false],
    ['not_a_participant', 'Not your lesson', "You're not part of this lesson.", false],
    ['token_wrong_session', 'Not your lesson', "You're not part of this lesson.", false],
    ['lesson_ended', 'Lesson ended', 'This lesson has ended.', false],
    ['network', 'Connection failed', 'Unable to connect.', true],
    ['camera_denied', 'Camera and microphone blocked', 'Please allow camera/microphone access.', true],
    ['service_unavailable', 'Video service unavailable', 'Video service unavailable. Try again.', true],
    ['media_error', 'Technical issue', 'Something went wrong with the lesson connection. Your seat is kept — try again.', true],
    ['something_new', 'Something went wrong', 'An unexpected error happened. Try again.', true],
  ];
  for (const [code, title, message, retry] of cases) {
    it(`${code} → "${message}"${retry ? ' [Retry]' : ''}`, () => {
      const onRetry = vi.fn();
      render(<ErrorScreen config={config} error={pageError(code)} onRetry={onRetry} />);
      expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(title);
      expect(screen.getByRole('alert').textContent).toContain(message);
      expect(screen.getByRole('alert').dataset.code).toBe(code);
      const button = screen.queryByRole('button', { name: /Retry/ });
      expect(!!button).toBe(retry);
      if (button) {
        fireEvent.click(button);
        expect(onRetry).toHaveBeenCalledOnce();
      }
    });
  }

  it('camera/mic denied explains how to allow access', () => {
    render(<ErrorScreen config={config} error={pageError('devices_denied')} onRetry={() => undefined} />);
    const steps = screen.getAllByRole('listitem').map((li) => li.textContent);
    expect(steps.some((s) => /address bar/.test(s ?? ''))).toBe(true);
    expect(steps.some((s) => /Allow/.test(s ?? ''))).toBe(true);
  });

  it('final errors offer the marketplace links instead of Retry', () => {
    const withLinks = { ...config, links: { dashboard: 'https://market.example/dashboard', book: null, course: null } };
    render(<ErrorScreen config={withLinks} error={pageError('lesson_ended')} onRetry={() => undefined} />);
    expect(screen.getByRole('link', { name: 'Back to dashboard' }).getAttribute('href')).toBe('https://market.example/dashboard');
  });
});

describe('early and no-show screens', () => {
  it('early shows the opening time and a countdown that moves', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'Date'] });
    vi.setSystemTime(new Date('2026-11-23T09:40:00Z'));
    render(<Early config={config} lesson={lesson()} opensAt={new Date('2026-11-23T09:45:00Z')} role="student" />);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toMatch(/^The lesson room opens at /);
    expect(screen.getByTestId('countdown').textContent).toBe('5 min 00 s');
    expect(screen.getByText('Tara Tutor')).toBeTruthy();
    expect(screen.getByText('Your tutor')).toBeTruthy();
    vi.advanceTimersByTime(61_000);
    await Promise.resolve();
    expect(screen.getByTestId('countdown').textContent).toBe('3 min 59 s');
    vi.useRealTimers();
  });

  it('no-show says who was missing without blaming the person who came', () => {
    const { unmount } = render(<NoShow config={config} lesson={lesson({ status: 'no_show', no_show: { tutor: false, student: true } })} role="tutor" />);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('This lesson didn’t take place');
    expect(screen.getByText(/Sam Student did not join in time/)).toBeTruthy();
    unmount();
    render(<NoShow config={config} lesson={lesson({ status: 'no_show', no_show: { tutor: true, student: true } })} role="student" />);
    expect(screen.getByText(/Nobody joined this lesson in time/)).toBeTruthy();
  });
});

describe('which screen a lesson calls for', () => {
  const now = new Date('2026-11-23T10:05:00Z');
  it('before the window: early, with the opening time', () => {
    expect(entryView(lesson(), new Date('2026-11-23T09:00:00Z'), false)).toEqual({ kind: 'early', opensAt: new Date('2026-11-23T09:45:00Z') });
  });
  it('inside the window: pre-join', () => expect(entryView(lesson({ status: 'live' }), now, false)).toEqual({ kind: 'prejoin' }));
  it('completed: the summary for someone who attended, "ended" for anyone else', () => {
    expect(entryView(lesson({ status: 'completed' }), now, true)).toEqual({ kind: 'post' });
    expect(entryView(lesson({ status: 'completed' }), now, false)).toEqual({ kind: 'error', code: 'lesson_ended' });
  });
  it('no-show and cancelled', () => {
    expect(entryView(lesson({ status: 'no_show' }), now, false)).toEqual({ kind: 'no_show' });
    expect(entryView(lesson({ status: 'cancelled' }), now, false)).toEqual({ kind: 'error', code: 'lesson_cancelled' });
  });
  it('past the end (with any extension) the room is closed', () => {
    expect(entryView(lesson({ status: 'waiting' }), new Date('2026-11-23T10:46:00Z'), false)).toEqual({ kind: 'error', code: 'lesson_ended' });
    expect(entryView(lesson({ status: 'live', ends_at: '2026-11-23T11:00:00Z' }), new Date('2026-11-23T10:46:00Z'), false)).toEqual({ kind: 'prejoin' });
  });
});

// Issue 17's room behaviours: status changes reach the open page (no-show, cancelled, ended
// elsewhere, a new end), the tutor's extend control, in-room sharing, the "both joined" notice,
// the error boundary, and device choices remembered per browser.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { LessonPage } from '../src/page/lesson-page.ts';
import { StatusWatch } from '../src/page/status-watch.ts';
import { RoomController } from '../src/room-controller.ts';
import { RoomExtras } from '../src/room-extras.ts';
import { RoomView, type RoomActions } from '../src/ui/room-view.tsx';
import { ErrorBoundary } from '../src/ui/error-boundary.tsx';
import { pickRemembered, rememberDevice, rememberedDevice } from '../src/lib/device-memory.ts';
import type { Lesson } from '../src/lib/lesson-api.ts';
import { config, lesson, roomState } from './fixtures.ts';

afterEach(() => {
  cleanup();
  localStorage.clear();
});

function pageIn(view: 'room' | 'prejoin', joined = true) {
  const room = new RoomController('l1', 'tok');
  const leave = vi.spyOn(room, 'leave').mockResolvedValue(undefined);
  const page = new LessonPage({ sessionId: 'l1', token: 'a.b.c', config, room });
  page.state.set({ view, lesson: lesson({ status: 'waiting' }), joinedAt: joined ? new Date() : null });
  room.state.set({ phase: view === 'room' ? 'room' : 'prejoin' });
  return { page, room, leave };
}

describe('status changes while the page is open', () => {
  it('the person waiting alone sees the no-show screen at once, and leaves the room', () => {
    const { page, leave } = pageIn('room');
    page.onLessonUpdate(lesson({ status: 'no_show', no_show: { tutor: true, student: false } }));
    expect(page.state.get().view).toBe('no_show');
    expect(leave).toHaveBeenCalled();
    page.watch?.stop();
  });

  it('cancelled → the cancelled screen; completed elsewhere → post-session (or "ended" before joining)', () => {
    const a = pageIn('prejoin', false);
    a.page.onLessonUpdate(lesson({ status: 'cancelled' }));
    expect(a.page.state.get()).toMatchObject({ view: 'error', error: { screen: 'lesson_cancelled' } });
    const b = pageIn('room');
    b.page.onLessonUpdate(lesson({ status: 'completed' }));
    expect(b.page.state.get().view).toBe('post');
    const c = pageIn('prejoin', false);
    c.page.onLessonUpdate(lesson({ status: 'completed' }));
    expect(c.page.state.get()).toMatchObject({ view: 'error', error: { screen: 'lesson_ended' } });
  });

  it('a running lesson the marketplace cancelled shows the cancelled screen, not "lesson ended" (issue 16)', () => {
    const { page, room } = pageIn('room');
    (room as unknown as { onNotification(n: unknown): void }).onNotification({ t: 'session.ended', reason: 'cancelled' });
    expect(page.state.get()).toMatchObject({ view: 'error', error: { screen: 'lesson_cancelled' } });
    page.watch?.stop();
  });

  it('a new end (an extension) moves the room clock', () => {
    const { page, room } = pageIn('room');
    room.state.set({ lesson: { endsAt: '2026-11-23T10:45:00.000Z', scheduledStart: '2026-11-23T10:00:00Z', scheduledEnd: '2026-11-23T10:45:00Z', clockOffsetMs: 0 } });
    page.onLessonUpdate(lesson({ status: 'live', ends_at: '2026-11-23T10:55:00.000Z' }));
    expect(room.state.get().lesson?.endsAt).toBe('2026-11-23T10:55:00.000Z');
    expect(page.state.get().view).toBe('room');
    page.watch?.stop();
  });

  it('the watch polls on its interval and at once when the tab becomes visible', async () => {
    vi.useFakeTimers();
    try {
      const seen: Lesson[] = [];
      const read = vi.fn(async () => lesson({ status: 'waiting' }));
      const w = new StatusWatch(read, (l) => seen.push(l), 20_000);
      w.start();
      await vi.advanceTimersByTimeAsync(20_000);
      expect(read).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(5_000);
      document.dispatchEvent(new Event('visibilitychange'));
      await vi.advanceTimersByTimeAsync(0);
      expect(read).toHaveBeenCalledTimes(2);
      w.stop();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(read).toHaveBeenCalledTimes(2);
      expect(seen).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

function actions(over: Partial<RoomActions> = {}): RoomActions {
  const f = () => undefined;
  return { toggleMic: f, toggleCam: f, toggleScreen: async () => undefined, sendChat: f, switchDevice: async () => undefined, leave: f, endLesson: async () => undefined, retry: f, ...over };
}
const joinWithTimer = (used: number, max: number) =>
  ({ signaling_url: 'ws://x', ice_servers: [], session: { id: 'l1', title: 'Algebra', status: 'live', scheduled_start: '', scheduled_end: '', recording: false }, you: { role: 'tutor', user_id: 't1', name: 'Tara' }, peer: { role: 'student', user_id: 's1', name: 'Sam', avatar_url: null }, timer: { ends_at: '', extension_seconds: used, max_extension_seconds: max, warnings_minutes_before_end: [5, 1] } }) as never;

describe('extend from the room', () => {
  it('the tutor extends within what the API still allows; the student has no such control', async () => {
    const extend = vi.fn(async () => undefined);
    const extras = new RoomExtras(null, null);
    render(<RoomView state={roomState({ join: joinWithTimer(20 * 60, 30 * 60) })} extras={extras} lesson={lesson({ status: 'live', extension_seconds: 20 * 60 })} config={config} actions={actions({ extend })} role="tutor" myName="Tara" speakerId="" onSpeaker={() => undefined} />);
    fireEvent.click(screen.getByTestId('extend'));
    expect(screen.getByTestId('extend-dialog').textContent).toContain('up to 10 more minutes');
    expect(screen.queryByTestId('extend-15')).toBeNull();
    fireEvent.click(screen.getByTestId('extend-10'));
    await waitFor(() => expect(extend).toHaveBeenCalledWith(10));
    await waitFor(() => expect(screen.queryByTestId('extend-dialog')).toBeNull());
    cleanup();
    render(<RoomView state={roomState({ join: joinWithTimer(0, 30 * 60) })} extras={new RoomExtras(null, null)} lesson={lesson({ status: 'live' })} config={config} actions={actions({ extend })} role="student" myName="Sam" speakerId="" onSpeaker={() => undefined} />);
    expect(screen.queryByTestId('extend')).toBeNull();
  });

  it('both see a moved end: the clock shows it and a notice says so', () => {
    const extras = new RoomExtras(null, null);
    const base = { endsAt: '2026-11-23T10:45:00.000Z', scheduledStart: '2026-11-23T10:00:00Z', scheduledEnd: '2026-11-23T10:45:00Z', clockOffsetMs: 0 };
    const r = render(<RoomView state={roomState({ lesson: base })} extras={extras} lesson={lesson({ status: 'live' })} config={config} actions={actions()} role="student" myName="Sam" speakerId="" onSpeaker={() => undefined} />);
    expect(screen.queryByTestId('banner-extended')).toBeNull();
    const before = screen.getByTestId('timer-end').textContent;
    // A clock offset learned at join is not an extension.
    r.rerender(<RoomView state={roomState({ lesson: { ...base, clockOffsetMs: -90_000 } })} extras={extras} lesson={lesson({ status: 'live' })} config={config} actions={actions()} role="student" myName="Sam" speakerId="" onSpeaker={() => undefined} />);
    expect(screen.queryByTestId('banner-extended')).toBeNull();
    r.rerender(<RoomView state={roomState({ lesson: { ...base, endsAt: '2026-11-23T10:55:00.000Z' } })} extras={extras} lesson={lesson({ status: 'live' })} config={config} actions={actions()} role="student" myName="Sam" speakerId="" onSpeaker={() => undefined} />);
    expect(screen.getByTestId('banner-extended')).toBeTruthy();
    expect(screen.getByTestId('timer-end').textContent).not.toBe(before);
  });
});

describe('in-room notices and sharing', () => {
  it('"both joined" appears when the other person arrives', () => {
    const extras = new RoomExtras(null, null);
    const r = render(<RoomView state={roomState({ peer: null, peerPresence: 'absent' })} extras={extras} lesson={lesson({ status: 'waiting' })} config={config} actions={actions()} role="student" myName="Sam" speakerId="" onSpeaker={() => undefined} />);
    expect(screen.queryByTestId('banner-both-joined')).toBeNull();
    r.rerender(<RoomView state={roomState()} extras={extras} lesson={lesson({ status: 'live' })} config={config} actions={actions()} role="student" myName="Sam" speakerId="" onSpeaker={() => undefined} />);
    expect(screen.getByTestId('banner-both-joined').textContent).toContain('Tara Tutor joined');
  });

  it('the tutor can share a file from the Resources tab; the student cannot', () => {
    const upload = vi.fn();
    const extras = new RoomExtras(null, null);
    extras.setPanel('resources', 0);
    render(<RoomView state={roomState()} extras={extras} lesson={lesson({ status: 'live' })} config={config} actions={actions({ upload })} role="tutor" myName="Tara" speakerId="" onSpeaker={() => undefined} />);
    const input = screen.getByTestId('room-upload-input') as HTMLInputElement;
    const file = new File(['%PDF-1.4'], 'worksheet.pdf', { type: 'application/pdf' });
    Object.defineProperty(input, 'files', { value: [file] });
    fireEvent.change(input);
    expect(upload).toHaveBeenCalledWith([file]);
    cleanup();
    const ex2 = new RoomExtras(null, null);
    ex2.setPanel('resources', 0);
    render(<RoomView state={roomState()} extras={ex2} lesson={lesson({ status: 'live' })} config={config} actions={actions({ upload })} role="student" myName="Sam" speakerId="" onSpeaker={() => undefined} />);
    expect(screen.queryByTestId('room-upload-button')).toBeNull();
  });
});

describe('error boundary', () => {
  it('a render error shows a reload screen instead of a blank page', () => {
    const reload = vi.fn();
    const onError = vi.fn();
    const Boom = (): never => {
      throw new Error('boom');
    };
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    render(
      <ErrorBoundary reload={reload} onError={onError}>
        <Boom />
      </ErrorBoundary>,
    );
    expect(screen.getByTestId('render-error').textContent).toContain('Your seat in the lesson is kept');
    fireEvent.click(screen.getByTestId('reload'));
    expect(reload).toHaveBeenCalled();
    expect(onError).toHaveBeenCalled();
  });
});

describe('remembered devices', () => {
  it('finds the device by id, else by label, else nothing', () => {
    expect(rememberedDevice('video')).toBeNull();
    rememberDevice('video', 'cam-2', 'USB Camera');
    expect(pickRemembered('video', [{ deviceId: 'cam-1', label: 'Built-in' }, { deviceId: 'cam-2', label: 'USB Camera' }])).toBe('cam-2');
    expect(pickRemembered('video', [{ deviceId: 'new-id', label: 'USB Camera' }])).toBe('new-id');
    expect(pickRemembered('video', [{ deviceId: 'x', label: 'Other' }])).toBeNull();
    expect(pickRemembered('audio', [{ deviceId: 'x', label: 'Other' }])).toBeNull();
    localStorage.setItem('duet.devices', '{not json');
    expect(rememberedDevice('video')).toBeNull();
  });
});

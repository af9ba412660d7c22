// The room's states and controls: waiting, in progress, reconnecting (both sides), camera off,
// muted, screen share, time warnings, chat, settings and leave/end with confirmation.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/preact';
import { RoomExtras } from '../src/room-extras.ts';
import { RoomView, type RoomActions } from '../src/ui/room-view.tsx';
import type { RoomState } from '../src/room-controller.ts';
import { config, fakeStream, lesson, roomState } from './fixtures.ts';

afterEach(cleanup);
// happy-dom has no WebRTC; the browsers the room serves do (the no-WebRTC case is its own test).
beforeEach(() => vi.stubGlobal('RTCPeerConnection', class {}));
afterEach(() => vi.unstubAllGlobals());

function actions(): RoomActions & Record<string, ReturnType<typeof vi.fn>> {
  return {
    toggleMic: vi.fn(),
    toggleCam: vi.fn(),
    toggleScreen: vi.fn(async () => undefined),
    sendChat: vi.fn(),
    retryChat: vi.fn(),
    switchDevice: vi.fn(async () => undefined),
    leave: vi.fn(),
    endLesson: vi.fn(async () => undefined),
    retry: vi.fn(),
  } as never;
}

function show(state: RoomState, role: 'tutor' | 'student' = 'student', a = actions()) {
  const extras = new RoomExtras(null, null);
  const r = render(<RoomView state={state} extras={extras} lesson={lesson({ status: 'live' })} config={config} actions={a} role={role} myName="Sam Student" speakerId="" onSpeaker={() => undefined} />);
  return { ...r, a, extras };
}

const status = () => screen.getByTestId('status');

describe('room states', () => {
  it('waiting: you are here, the other person not yet', () => {
    show(roomState({ peer: null, peerPresence: 'absent', media: null, remote: null }));
    expect(status().dataset.status).toBe('waiting');
    expect(status().textContent).toContain('Waiting');
    expect(screen.getByTestId('waiting').textContent).toContain('You’re here. Waiting for Tara Tutor to join…');
  });

  it('in progress: the other person large, self-view in the corner, header with title and name', () => {
    show(roomState());
    expect(status().dataset.status).toBe('in_progress');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Algebra II');
    expect(screen.getByText('with Tara Tutor')).toBeTruthy();
    expect(screen.getByTestId('remote-tile').className).toContain('main');
    expect(screen.getByTestId('self-tile')).toBeTruthy();
    expect(screen.queryByTestId('remote-avatar')).toBeNull();
  });

  it('reconnecting: a banner says media is paused while we retry', () => {
    show(roomState({ reconnecting: true }));
    expect(status().dataset.status).toBe('reconnecting');
    expect(screen.getByTestId('banner-reconnecting').textContent).toContain('Reconnecting…');
    expect(screen.getByTestId('banner-reconnecting').textContent).toContain('Media is paused');
  });

  it('the other side reconnecting is shown as such', () => {
    show(roomState({ peerPresence: 'reconnecting' }));
    expect(screen.getByTestId('banner-peer-reconnecting').textContent).toContain('Tara Tutor’s connection dropped');
  });

  it('technical issue: media failed offers Retry', () => {
    const { a } = show(roomState({ media: 'failed' }));
    fireEvent.click(screen.getByTestId('retry-media'));
    expect(a.retry).toHaveBeenCalledOnce();
  });

  it('without WebRTC the room says why there is no picture, instead of offering a Retry that cannot help', () => {
    vi.stubGlobal('RTCPeerConnection', undefined);
    show(roomState({ media: 'failed' }));
    expect(screen.getByTestId('banner-no-webrtc').textContent).toContain('cannot make video calls');
    expect(screen.queryByTestId('retry-media')).toBeNull();
  });

  it('camera off shows the avatar and says so in words; mute is shown in words', () => {
    const peer = { role: 'tutor' as const, userId: 't1', name: 'Tara Tutor', avatarUrl: null, audio: false, video: false, screen: false, presence: 'present' as const };
    show(roomState({ peer }));
    const avatar = screen.getByTestId('remote-avatar');
    expect(avatar.textContent).toContain('TT');
    expect(avatar.textContent).toContain('Camera off');
    expect(screen.getByTestId('peer-muted').textContent).toContain('Tara Tutor is muted');
  });

  it('screen share takes the main area and the camera moves to a small tile', () => {
    show(roomState({ remoteScreen: fakeStream(['video']), peer: { role: 'tutor', userId: 't1', name: 'Tara Tutor', avatarUrl: null, audio: true, video: true, screen: true, presence: 'present' } }));
    expect(screen.getByTestId('remote-screen-tile').className).toContain('main');
    expect(screen.getByTestId('remote-tile').className).toContain('pinned');
  });

  it('active speaker is emphasised with more than colour (an icon and text)', () => {
    show(roomState({ speaker: 'tutor' }));
    const tile = screen.getByTestId('remote-tile');
    expect(tile.dataset.speaking).toBe('true');
    expect(within(tile).getByText('Speaking:')).toBeTruthy();
  });

  it('timer warnings at 5 and 1 minutes are visible and dismissible', () => {
    const ends = new Date(Date.now() + 4.5 * 60_000).toISOString();
    const base = { lesson: { endsAt: ends, scheduledStart: ends, scheduledEnd: ends, clockOffsetMs: 0 } };
    const { rerender, extras, a } = show(roomState({ ...base, warning: { minutesLeft: 5, endsAt: ends, at: Date.now() } }));
    expect(screen.getByTestId('banner-warning').textContent).toContain('5 minutes left.');
    expect(screen.getByTestId('timer').textContent).toContain('min left');
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss the time warning' }));
    expect(screen.queryByTestId('banner-warning')).toBeNull();
    rerender(<RoomView state={roomState({ ...base, warning: { minutesLeft: 1, endsAt: ends, at: Date.now() } })} extras={extras} lesson={lesson()} config={config} actions={a} role="student" myName="Sam" speakerId="" onSpeaker={() => undefined} />);
    expect(screen.getByTestId('banner-warning').textContent).toContain('1 minute left.');
  });
});

describe('controls', () => {
  it('every control is a labelled button; toggles expose their pressed state', () => {
    const { a } = show(roomState({ micOn: false }));
    const mic = screen.getByRole('button', { name: 'Unmute microphone' });
    expect(mic.getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(mic);
    expect(a.toggleMic).toHaveBeenCalledOnce();
    fireEvent.click(screen.getByRole('button', { name: 'Stop video' }));
    expect(a.toggleCam).toHaveBeenCalledOnce();
    for (const name of ['Chat and notes', 'Settings for camera, microphone and speaker', 'Leave the lesson']) expect(screen.getByRole('button', { name })).toBeTruthy();
  });

  it('joined without a camera: the camera control says so and is disabled', () => {
    show(roomState({ local: fakeStream(['audio']) }));
    const cam = screen.getByRole('button', { name: 'No camera in this lesson' }) as HTMLButtonElement;
    expect(cam.disabled).toBe(true);
  });

  it('chat: open the panel, send a message, see history and unread counts', () => {
    const chat = [{ id: 'm1', role: 'tutor' as const, userId: 't1', name: 'Tara Tutor', text: 'Hello Sam', sentAt: '2026-11-23T10:01:00Z' }];
    const { a } = show(roomState({ chat }));
    expect(screen.getByRole('button', { name: 'Chat and notes (1 unread)' })).toBeTruthy();
    fireEvent.click(screen.getByTestId('toggle-chat'));
    expect(screen.getByTestId('chat-list').textContent).toContain('Hello Sam');
    fireEvent.input(screen.getByLabelText('Message'), { target: { value: 'Hi!' } });
    fireEvent.submit(screen.getByLabelText('Message').closest('form')!);
    expect(a.sendChat).toHaveBeenCalledWith('Hi!');
    // tabs are keyboard operable
    fireEvent.keyDown(screen.getByRole('tab', { name: /Chat/ }), { key: 'ArrowRight' });
    expect(screen.getByRole('tab', { name: 'My notes' }).getAttribute('aria-selected')).toBe('true');
    expect(screen.getByLabelText('Private notes')).toBeTruthy();
  });

  it('student leave asks once and leaves; there is no "end for both"', () => {
    const { a } = show(roomState());
    fireEvent.click(screen.getByRole('button', { name: 'Leave the lesson' }));
    expect(screen.queryByTestId('end-lesson')).toBeNull();
    fireEvent.click(screen.getByTestId('confirm-leave'));
    expect(a.leave).toHaveBeenCalledOnce();
  });

  it('tutor can end the lesson for both, only after confirming', async () => {
    const { a } = show(roomState({ role: 'tutor' }), 'tutor');
    fireEvent.click(screen.getByRole('button', { name: 'Leave or end the lesson' }));
    fireEvent.click(screen.getByTestId('end-lesson'));
    expect(a.endLesson).not.toHaveBeenCalled();
    expect(screen.getByRole('dialog').textContent).toContain('End the lesson for both?');
    fireEvent.click(screen.getByTestId('confirm-end-lesson'));
    expect(a.endLesson).toHaveBeenCalledOnce();
  });

  it('Escape closes a dialog', () => {
    show(roomState());
    fireEvent.click(screen.getByTestId('open-settings'));
    expect(screen.getByRole('dialog', { name: 'Settings' })).toBeTruthy();
    fireEvent.keyDown(document, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});

describe('phone layout', () => {
  it('controls hide after a few seconds without a touch and come back on interaction', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const mm = window.matchMedia;
    window.matchMedia = ((q: string) => ({ matches: true, media: q, addEventListener() {}, removeEventListener() {} })) as unknown as typeof window.matchMedia;
    try {
      show(roomState());
      const room = screen.getByTestId('room');
      expect(room.className).not.toContain('controls-hidden');
      vi.advanceTimersByTime(4500);
      await Promise.resolve();
      await vi.waitFor(() => expect(screen.getByTestId('room').className).toContain('controls-hidden'));
      fireEvent.pointerMove(screen.getByTestId('room'));
      await vi.waitFor(() => expect(screen.getByTestId('room').className).not.toContain('controls-hidden'));
    } finally {
      window.matchMedia = mm;
      vi.useRealTimers();
    }
  });
});

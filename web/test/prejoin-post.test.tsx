// Pre-join (checks, pickers, Join rules) and post-session (stats, rating once, recording,
// resources, tutor upload, links).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { DeviceCheck } from '../src/page/device-check.ts';
import type { PostSessionState } from '../src/page/post-session.ts';
import { PostSessionView } from '../src/ui/post-session.tsx';
import { PreJoin } from '../src/ui/prejoin.tsx';
import { config, lesson } from './fixtures.ts';

afterEach(cleanup);
// happy-dom has no WebRTC; the browsers the room serves do (the no-WebRTC case is its own test).
beforeEach(() => vi.stubGlobal('RTCPeerConnection', class {}));
afterEach(() => vi.unstubAllGlobals());

const track = (kind: string) => ({ kind, readyState: 'live', getSettings: () => ({ deviceId: `${kind}-1` }) }) as unknown as MediaStreamTrack;

function check(over: Partial<ReturnType<DeviceCheck['state']['get']>> = {}) {
  const c = new DeviceCheck();
  c.state.set({ started: true, camera: { track: track('video'), problem: null }, mic: { track: track('audio'), problem: null }, network: { state: 'done', rttMs: 12, ok: true }, ...over });
  return c;
}

describe('pre-join', () => {
  it('shows lesson info, the checks and tips, and joins with the camera', () => {
    const onJoin = vi.fn();
    render(<PreJoin config={config} lesson={lesson({ recording: true })} role="student" name="Sam Student" check={check()} onJoin={onJoin} />);
    expect(screen.getByText('Algebra II')).toBeTruthy();
    expect(screen.getByText('Tara Tutor')).toBeTruthy();
    expect(screen.getByText(/45 min/)).toBeTruthy();
    expect(screen.getByText('This lesson will be recorded.')).toBeTruthy();
    expect(screen.getByTestId('check-camera').dataset.state).toBe('ok');
    expect(screen.getByTestId('check-network').textContent).toContain('12 ms round trip');
    expect(screen.getByText(/good lighting/)).toBeTruthy();
    expect(screen.getByText(/headphones/)).toBeTruthy();
    expect(screen.getByRole('meter', { name: 'Microphone level' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Join lesson' }));
    expect(onJoin).toHaveBeenCalledWith(true);
  });

  it('warns when the round trip is above 300 ms', () => {
    render(<PreJoin config={config} lesson={lesson()} role="student" name={null} check={check({ network: { state: 'done', rttMs: 420, ok: false } })} onJoin={() => undefined} />);
    expect(screen.getByTestId('check-network').dataset.state).toBe('bad');
    expect(screen.getByTestId('check-network').textContent).toContain('slower than 300 ms');
  });

  it('without a camera, Join is disabled and "Join without camera" is offered', () => {
    const onJoin = vi.fn();
    render(<PreJoin config={config} lesson={lesson()} role="student" name={null} check={check({ camera: { track: null, problem: 'not_found' } })} onJoin={onJoin} />);
    expect((screen.getByRole('button', { name: 'Join lesson' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: /Join without camera/ }));
    expect(onJoin).toHaveBeenCalledWith(false);
  });

  it('without a microphone nobody can join, and the page says why', () => {
    render(<PreJoin config={config} lesson={lesson()} role="student" name={null} check={check({ mic: { track: null, problem: 'in_use' } })} onJoin={() => undefined} />);
    expect((screen.getByRole('button', { name: 'Join lesson' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.queryByRole('button', { name: /Join without camera/ })).toBeNull();
    expect(screen.getByRole('alert').textContent).toContain('A working microphone is needed to join.');
  });

  it('without WebRTC (WebKitGTK, WebRTC turned off) the page says so before the join', () => {
    vi.stubGlobal('RTCPeerConnection', undefined);
    render(<PreJoin config={config} lesson={lesson()} role="student" name={null} check={check()} onJoin={() => undefined} />);
    expect(screen.getByTestId('no-webrtc').textContent).toContain('This browser cannot make video calls');
    expect(screen.getByRole('alert').textContent).toContain('Chat still works');
    // Joining still works: presence and chat need no WebRTC.
    expect((screen.getByRole('button', { name: 'Join lesson' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('the mic meter follows the level', () => {
    const c = check();
    render(<PreJoin config={config} lesson={lesson()} role="student" name={null} check={c} onJoin={() => undefined} />);
    c.level.set({ value: 0.5 });
    return new Promise<void>((r) =>
      setTimeout(() => {
        expect(screen.getByRole('meter').getAttribute('aria-valuenow')).toBe('50');
        r();
      }, 20),
    );
  });
});

function post(over: Partial<PostSessionState> = {}): PostSessionState {
  return {
    lesson: lesson({ status: 'completed', recording: true, started_at: '2026-11-23T10:01:00Z', ended_at: '2026-11-23T10:43:30Z' }),
    attendance: [
      { role: 'tutor', user_id: 't1', name: 'Tara Tutor', intervals: [{ joined_at: '2026-11-23T09:58:00Z', left_at: '2026-11-23T10:43:30Z' }], duration_seconds: 2730 },
      { role: 'student', user_id: 's1', name: 'Sam Student', intervals: [{ joined_at: '2026-11-23T10:01:00Z', left_at: '2026-11-23T10:43:30Z' }], duration_seconds: 2550 },
    ],
    feedback: null,
    feedbackState: 'idle',
    recordings: [],
    resources: [],
    upload: { state: 'idle' },
    ...over,
  };
}

describe('post-session', () => {
  it('says "Lesson ended" with duration and both join times', () => {
    render(<PostSessionView config={config} state={post()} role="student" endReason="ended_by_tutor" onRate={() => undefined} onUpload={() => undefined} onRejoin={null} />);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Lesson ended');
    expect(screen.getByText('The tutor ended the lesson.')).toBeTruthy();
    expect(screen.getByTestId('stat-duration').textContent).toBe('42 min 30 s');
    expect(screen.getByTestId('stat-my-join').textContent).not.toBe('—');
    expect(screen.getByText('Tara Tutor joined')).toBeTruthy();
  });

  it('rating: pick 1–5, optional comment, submitted once', () => {
    const onRate = vi.fn();
    const { rerender } = render(<PostSessionView config={config} state={post()} role="student" endReason={null} onRate={onRate} onUpload={() => undefined} onRejoin={null} />);
    expect((screen.getByTestId('rating-submit') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByLabelText('4 stars'));
    fireEvent.input(screen.getByLabelText('Comment (optional)'), { target: { value: 'Great' } });
    fireEvent.click(screen.getByTestId('rating-submit'));
    expect(onRate).toHaveBeenCalledWith(4, 'Great');
    rerender(<PostSessionView config={config} state={post({ feedback: { rating: 4, comment: 'Great' }, feedbackState: 'sent' })} role="student" endReason={null} onRate={onRate} onUpload={() => undefined} onRejoin={null} />);
    expect(screen.getByTestId('rated').textContent).toContain('4 out of 5');
    expect(screen.queryByTestId('rating-form')).toBeNull();
  });

  it('recording: "Recording processing…", then a player with its duration', () => {
    const { rerender } = render(<PostSessionView config={config} state={post({ recordings: [{ id: 'r1', status: 'processing', duration_seconds: null, url: null }] })} role="student" endReason={null} onRate={() => undefined} onUpload={() => undefined} onRejoin={null} />);
    expect(screen.getByTestId('recording-processing').textContent).toContain('Recording processing…');
    rerender(<PostSessionView config={config} state={post({ recordings: [{ id: 'r1', status: 'ready', duration_seconds: 2550, url: '/v1/x?sig=1' }] })} role="student" endReason={null} onRate={() => undefined} onUpload={() => undefined} onRejoin={null} />);
    expect(screen.getByTestId('recording-player').getAttribute('src')).toBe('/v1/x?sig=1');
    expect(screen.getByTestId('recording-duration').textContent).toBe('42:30');
  });

  it('resources download; only the tutor can upload', () => {
    const resources = [{ id: 'f1', name: 'slides.pdf', size: 204800, content_type: 'application/pdf', url: '/v1/f1?sig=1' }];
    const { unmount } = render(<PostSessionView config={config} state={post({ resources })} role="student" endReason={null} onRate={() => undefined} onUpload={() => undefined} onRejoin={null} />);
    expect(screen.getByRole('link', { name: 'Download slides.pdf' }).getAttribute('href')).toBe('/v1/f1?sig=1');
    expect(screen.queryByTestId('upload-button')).toBeNull();
    unmount();
    render(<PostSessionView config={config} state={post({ resources })} role="tutor" endReason={null} onRate={() => undefined} onUpload={() => undefined} onRejoin={null} />);
    expect(screen.getByRole('button', { name: /Upload session materials/ })).toBeTruthy();
  });

  it('marketplace links appear when configured', () => {
    const links = { dashboard: 'https://m.example/d', book: 'https://m.example/book', course: 'https://m.example/c' };
    render(<PostSessionView config={{ ...config, links }} state={post()} role="student" endReason={null} onRate={() => undefined} onUpload={() => undefined} onRejoin={null} />);
    expect(screen.getByRole('link', { name: 'Back to dashboard' }).getAttribute('href')).toBe(links.dashboard);
    expect(screen.getByRole('link', { name: 'Book next lesson' }).getAttribute('href')).toBe(links.book);
    expect(screen.getByRole('link', { name: 'View course' }).getAttribute('href')).toBe(links.course);
  });

  it('left while the lesson runs: rejoin is offered and rating waits for the end', () => {
    const onRejoin = vi.fn();
    render(<PostSessionView config={config} state={post({ lesson: lesson({ status: 'live' }) })} role="student" endReason={null} onRate={() => undefined} onUpload={() => undefined} onRejoin={onRejoin} />);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('You left the lesson');
    expect(screen.getByText('You can rate the lesson once it has ended.')).toBeTruthy();
    fireEvent.click(screen.getByTestId('rejoin'));
    expect(onRejoin).toHaveBeenCalledOnce();
  });
});

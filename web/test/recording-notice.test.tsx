// The recording notice: shown before joining a recorded lesson (with what joining means) and, in the
// room, a visible REC indicator in the header for as long as the lesson is recorded.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/preact';
import { DeviceCheck } from '../src/page/device-check.ts';
import { RoomExtras } from '../src/room-extras.ts';
import { PostSessionView } from '../src/ui/post-session.tsx';
import { PreJoin } from '../src/ui/prejoin.tsx';
import { RoomView, type RoomActions } from '../src/ui/room-view.tsx';
import { config, lesson, roomState } from './fixtures.ts';

afterEach(cleanup);

const noop = (() => undefined) as never;
const actions = { toggleMic: noop, toggleCam: noop, toggleScreen: noop, sendChat: noop, retryChat: noop, switchDevice: noop, leave: noop, endLesson: noop, retry: noop } as RoomActions;

function prejoin(recording: boolean) {
  const c = new DeviceCheck();
  render(<PreJoin config={config} lesson={lesson({ recording })} role="student" name="Sam" check={c} onJoin={() => undefined} />);
}

function room(recording: boolean) {
  render(<RoomView state={roomState()} extras={new RoomExtras(null, null)} lesson={lesson({ status: 'live', recording })} config={config} actions={actions} role="student" myName="Sam" speakerId="" onSpeaker={() => undefined} />);
}

describe('recording notice', () => {
  it('pre-join tells a recorded lesson apart, and what joining means', () => {
    prejoin(true);
    const notice = screen.getByTestId('recording-notice');
    expect(notice.getAttribute('role')).toBe('note');
    expect(notice.textContent).toContain('This lesson will be recorded.');
    expect(notice.textContent).toContain('By joining you confirm you have been told.');
  });

  it('pre-join shows no notice for a lesson that is not recorded', () => {
    prejoin(false);
    expect(screen.queryByTestId('recording-notice')).toBeNull();
  });

  it('the room header shows REC while the lesson is recorded, and nothing otherwise', () => {
    room(true);
    const rec = screen.getByRole('img', { name: 'Recording: this lesson is recorded' });
    expect(rec.textContent).toContain('REC');
    cleanup();
    room(false);
    expect(screen.queryByTestId('rec-indicator')).toBeNull();
  });

  it('after the lesson, a deleted recording says so (not "could not be produced")', () => {
    const state = { lesson: lesson({ status: 'completed', recording: true }), attendance: [], feedback: null, feedbackState: 'idle', recordings: [{ id: 'r1', status: 'deleted', duration_seconds: null, url: null }], resources: [], upload: { state: 'idle' } } as never;
    render(<PostSessionView config={config} state={state} role="student" endReason={null} onRate={() => undefined} onUpload={() => undefined} onRejoin={null} />);
    expect(screen.getByTestId('recording-deleted').textContent).toContain('This recording was deleted.');
    expect(screen.queryByText(/could not be produced/)).toBeNull();
  });
});

// The state screens render the right copy and controls, and their buttons work.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { ErrorScreen, Left, PreJoin } from '../src/ui/screens.tsx';
import type { JoinInfo } from '../src/lib/api.ts';

afterEach(cleanup);

const join: JoinInfo = {
  signaling_url: 'ws://127.0.0.1:8090/ws',
  ice_servers: [],
  session: { id: 's1', title: 'Algebra II', status: 'scheduled', scheduled_start: '2026-11-23T10:00:00Z', scheduled_end: '2026-11-23T10:45:00Z', recording: true },
  you: { role: 'student', user_id: 'u2', name: 'Sam' },
  peer: { role: 'tutor', user_id: 'u1', name: 'Tara', avatar_url: null },
};

describe('screens', () => {
  it('pre-join shows the lesson, the other person, the recording notice and joins on click', () => {
    const onJoin = vi.fn();
    render(<PreJoin join={join} connecting={false} onJoin={onJoin} />);
    expect(screen.getByRole('heading').textContent).toBe('Algebra II');
    expect(screen.getByText('Tara')).toBeTruthy();
    expect(screen.getByText(/45 min/)).toBeTruthy();
    expect(screen.getByTitle('This lesson is recorded')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Join lesson' }));
    expect(onJoin).toHaveBeenCalledOnce();
  });

  it('pre-join disables the button while connecting', () => {
    render(<PreJoin join={join} connecting onJoin={() => undefined} />);
    const button = screen.getByRole('button') as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(button.textContent).toBe('Joining…');
  });

  it('error screens offer Retry only when retrying can help', () => {
    const onRetry = vi.fn();
    const { unmount } = render(<ErrorScreen error={{ code: 'network', title: 'Connection failed', message: 'x', retry: true }} onRetry={onRetry} />);
    expect(screen.getByRole('alert').dataset.code).toBe('network');
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(onRetry).toHaveBeenCalledOnce();
    unmount();
    render(<ErrorScreen error={{ code: 'lesson_ended', title: 'Lesson ended', message: 'y', retry: false }} onRetry={onRetry} />);
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.getByRole('heading').textContent).toBe('Lesson ended');
  });

  it('the left screen says so', () => {
    render(<Left />);
    expect(screen.getByRole('heading').textContent).toBe('You left the lesson');
  });
});

describe('useStore', () => {
  it('shows a change made between the first render and the subscription', async () => {
    const { Store, useStore } = await import('../src/lib/store.ts');
    const { render: preactRender } = await import('preact');
    const store = new Store({ n: 0 });
    function View() {
      return <span>{useStore(store).n}</span>;
    }
    const root = document.createElement('div');
    preactRender(<View />, root); // like main.tsx: effects run later, not inside act()
    store.set({ n: 1 }); // like RoomController.load() failing at once
    await new Promise((r) => setTimeout(r, 50));
    expect(root.textContent).toBe('1');
  });
});

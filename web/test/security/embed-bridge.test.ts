// The room's side of @duet/embed (web/src/lib/embed-bridge.ts), message by message: who may
// command the room (only window.parent, only from an origin the API allows, only known commands
// with well-typed values), where events go (one allowed origin, never `*`, held until it is
// known, at most 100 held), and how commands act on a real RoomController. The whole path in
// Chromium, a third origin's frame included: web/test/e2e/embed.e2e.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { allowedEmbedOrigins, EmbedBridge } from '../../src/lib/embed-bridge.ts';
import { RoomController } from '../../src/room-controller.ts';
import { config } from '../fixtures.ts';

const HOST = 'https://tutorly.example';
type Posted = { message: { source: string; type: string; data: Record<string, unknown> }; origin: string };

/** A parent window that records what the room posts to it. */
function parentWindow() {
  const posted: Posted[] = [];
  const win = { postMessage: (message: Posted['message'], origin: string) => void posted.push({ message, origin }) } as unknown as Window;
  return { win, posted };
}

/** A message event as the browser delivers it (source and origin set by the browser, not the sender). */
function deliver(data: unknown, origin: string, source: unknown): void {
  window.dispatchEvent(Object.assign(new Event('message'), { data, origin, source }));
}

function setup(ancestor: string | null = HOST, allowed = [HOST]) {
  const parent = parentWindow();
  // Each bridge listens on the window for good; an earlier test's bridge has another parent, so
  // it ignores this test's messages.
  const bridge = new EmbedBridge(parent.win, allowed, ancestor);
  const room = new RoomController('l1', 'tok');
  room.state.set({ phase: 'room', micOn: true, camOn: true });
  const leave = vi.spyOn(room, 'leave').mockResolvedValue(undefined);
  const end = vi.spyOn(room, 'endLesson').mockResolvedValue(undefined);
  bridge.attach(room, config);
  const command = (command: string, value?: unknown, origin = HOST, source: unknown = parent.win) =>
    deliver({ source: 'duet-host', type: 'command', command, value }, origin, source);
  return { ...parent, bridge, room, leave, end, command, types: () => parent.posted.map((p) => p.message.type) };
}

afterEach(() => {
  document.querySelector('meta[name="duet-embed-origins"]')?.remove();
  delete document.documentElement.dataset.theme;
});

describe('allowed origins', () => {
  it('reads plain origins from the page and drops everything else', () => {
    const meta = document.createElement('meta');
    meta.name = 'duet-embed-origins';
    meta.content = `${HOST}  http://localhost:8080 * javascript:alert(1) https://a.example/path null https://b.example:443`;
    document.head.append(meta);
    expect(allowedEmbedOrigins()).toEqual([HOST, 'http://localhost:8080', 'https://b.example:443']);
    meta.remove();
    expect(allowedEmbedOrigins()).toEqual([]);
  });
});

describe('events to the embedding page', () => {
  it('go to the allowed ancestor origin only, never to `*`, with their embed aliases', () => {
    const { posted, bridge } = setup();
    bridge.emit('session_joined', { role: 'tutor' });
    expect(posted.map((p) => [p.message.type, p.origin])).toEqual([['ready', HOST], ['session_joined', HOST], ['joined', HOST]]);
    expect(posted.every((p) => p.message.source === 'duet')).toBe(true);
  });

  it('an ancestor origin the API does not allow gets nothing, even after its hello', () => {
    const { posted, win } = setup('https://evil.example');
    deliver({ source: 'duet-host', type: 'hello' }, 'https://evil.example', win);
    expect(posted).toEqual([]);
  });

  it('without a known origin (Firefox) events wait for the host hello, at most 100 of them', () => {
    const { posted, win, bridge } = setup(null);
    for (let i = 0; i < 150; i++) bridge.emit('tick', { i });
    expect(posted).toEqual([]);
    // A hello from another window with the right origin, or from the parent with another origin, proves nothing.
    deliver({ source: 'duet-host', type: 'hello' }, HOST, parentWindow().win);
    deliver({ source: 'duet-host', type: 'hello' }, 'https://evil.example', win);
    expect(posted).toEqual([]);
    deliver({ source: 'duet-host', type: 'hello' }, HOST, win);
    expect(posted).toHaveLength(101); // ready + 99 ticks held, then the hello answer
    expect(posted.at(-1)!.message.type).toBe('hello');
    expect(new Set(posted.map((p) => p.origin))).toEqual(new Set([HOST]));
  });

  it('the room leaving or ending is announced once', async () => {
    const { room, types } = setup();
    room.state.set({ phase: 'left', ended: null });
    room.state.set({ phase: 'left', ended: null });
    expect(types().filter((t) => t === 'left')).toHaveLength(1);
    room.state.set({ phase: 'room' });
    room.state.set({ phase: 'left', ended: 'ended_by_tutor' });
    expect(types().at(-1)).toBe('ended');
  });
});

describe('commands from the embedding page', () => {
  it('act on the room: mute and camera by value (idempotent), theme, leave, end', () => {
    const { room, command, leave, end, posted } = setup();
    command('mute', true);
    expect(room.state.get().micOn).toBe(false);
    command('mute', true); // already muted: nothing toggles back
    expect(room.state.get().micOn).toBe(false);
    command('camera', false);
    expect(room.state.get().camOn).toBe(false);
    command('theme', 'light');
    expect(document.documentElement.dataset.theme).toBe('light');
    command('leave');
    command('end');
    expect(leave).toHaveBeenCalledTimes(1);
    expect(end).toHaveBeenCalledTimes(1);
    // Each command answers with the media state.
    expect(posted.filter((p) => p.message.type === 'media').at(-1)!.message.data).toEqual({ micOn: false, camOn: false, command: 'end' });
  });

  it('from anyone but the parent, from an origin not allowed, or malformed: ignored', () => {
    const { room, command, leave, end, posted, win } = setup();
    const before = posted.length;
    command('mute', true, 'https://evil.example'); // the parent, but navigated elsewhere
    command('mute', true, HOST, parentWindow().win); // another frame claiming the host's origin
    command('leave', undefined, HOST, null);
    for (const data of [null, 'leave', 42, { type: 'command', command: 'leave' }, { source: 'duet', type: 'command', command: 'leave' }, { source: 'duet-host', type: 'command', command: 7 }]) {
      deliver(data, HOST, win);
    }
    command('mute', 'yes'); // not a boolean
    command('camera', 1);
    command('theme', 'neon');
    command('eval', 'alert(1)');
    command('__proto__');
    expect(room.state.get()).toMatchObject({ micOn: true, camOn: true });
    expect(document.documentElement.dataset.theme).not.toBe('neon');
    expect(leave).not.toHaveBeenCalled();
    expect(end).not.toHaveBeenCalled();
    // Well-formed but ineffective values still answer with the media state; unknown commands do not.
    expect(posted.slice(before).map((p) => (p.message.data as { command?: string }).command)).toEqual(['mute', 'camera', 'theme']);
  });

  it("a student's end refused by the media node comes back as an error event", async () => {
    const { command, end, posted } = setup();
    end.mockRejectedValueOnce(new Error('forbidden'));
    command('end');
    await vi.waitFor(() => expect(posted.some((p) => p.message.type === 'error')).toBe(true));
    expect(posted.find((p) => p.message.type === 'error')!.message.data).toEqual({ error_type: 'end_refused', message: 'forbidden' });
  });
});

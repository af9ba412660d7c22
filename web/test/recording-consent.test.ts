// Joining a recorded lesson (the notice on screen) sends the acknowledgement to the API; a lesson
// that is not recorded sends nothing.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Store } from '../src/lib/store.ts';
import { LessonPage } from '../src/page/lesson-page.ts';
import type { RoomController } from '../src/room-controller.ts';
import { config, lesson } from './fixtures.ts';

afterEach(() => vi.unstubAllGlobals());

function page() {
  const calls: { url: string; method: string; auth: string | null }[] = [];
  // The room's client (@duet/sdk/fetch) calls fetch with a Request.
  vi.stubGlobal('fetch', async (input: Request | string, init: RequestInit = {}) => {
    const req = typeof input === 'string' ? new Request(new URL(input, 'http://room.test'), init) : input;
    calls.push({ url: new URL(req.url).pathname, method: req.method, auth: req.headers.get('authorization') });
    return new Response(JSON.stringify({ ok: true }), { status: 200, headers: { 'content-type': 'application/json' } });
  });
  vi.stubGlobal('MediaStream', class { getTracks() { return []; } getVideoTracks() { return []; } removeTrack() {} });
  const room = { state: new Store({ phase: 'prejoin' }), load: vi.fn(async () => undefined), enter: vi.fn(async () => undefined), joinGrantFresh: () => true, closeStandby: () => undefined, onAppData: () => () => undefined };
  const p = new LessonPage({ sessionId: 'l1', token: 'x.e30.y', config, room: room as unknown as RoomController });
  return { p, room, calls };
}

describe('recording consent on join', () => {
  it('a recorded lesson: the join click posts recording-consent with the join token', async () => {
    const { p, room, calls } = page();
    p.state.set({ lesson: lesson({ recording: true }), view: 'prejoin' });
    await p.join(true);
    expect(room.enter).toHaveBeenCalled();
    const consent = calls.filter((c) => c.url.endsWith('/v1/sessions/l1/recording-consent'));
    expect(consent).toEqual([{ url: '/v1/sessions/l1/recording-consent', method: 'POST', auth: 'Bearer x.e30.y' }]);
  });

  it('a lesson that is not recorded: nothing is sent', async () => {
    const { p, calls } = page();
    p.state.set({ lesson: lesson({ recording: false }), view: 'prejoin' });
    await p.join(true);
    expect(calls.filter((c) => c.url.includes('recording-consent'))).toEqual([]);
  });
});

// Issue 12, item 1, the room's side: a removed participant is told so (not "connection lost"),
// refused links get their own screens, and after the join the page presents its seat ticket on
// every lesson API call (needed with JOIN_TOKEN_SINGLE_USE, where the link alone is "used").
import { afterEach, describe, expect, it, vi } from 'vitest';
import { screenError } from '../../src/room-errors.ts';
import { joinLesson } from '../../src/lib/api.ts';
import { LessonApi } from '../../src/lib/lesson-api.ts';

afterEach(() => vi.unstubAllGlobals());

describe('removed and refused links', () => {
  it('has a screen for each refusal, none of them offering a pointless retry', () => {
    expect(screenError('removed')).toMatchObject({ title: 'Removed from the lesson', message: 'You were removed from this lesson.', retry: false });
    expect(screenError('participant_revoked')).toMatchObject({ title: 'Removed from the lesson', retry: false });
    expect(screenError('token_superseded')).toMatchObject({ title: 'Link replaced', retry: false });
    expect(screenError('token_already_used')).toMatchObject({ title: 'Link already used', retry: false });
  });

  it('sends the seat ticket from the join with every lesson API call', async () => {
    const seen: Headers[] = [];
    // The room's client (@duet/sdk/fetch) calls fetch with a Request.
    vi.stubGlobal('fetch', async (input: Request) => {
      seen.push(new Headers(input.headers));
      const body = input.url.endsWith('/join') ? { signaling_url: 'ws://x/ws', seat_ticket: 'ticket-123', ice_servers: [] } : { text: '' };
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    });
    await joinLesson('s1', 'jwt');
    await new LessonApi('s1', 'jwt').notes();
    expect(seen[1]!.get('x-duet-seat-ticket')).toBe('ticket-123');
    expect(seen[1]!.get('authorization')).toBe('Bearer jwt');
  });
});

describe('the page screens for refused links (what the person actually sees)', () => {
  it('maps each refusal to its own catalogue screen', async () => {
    const { pageError } = await import('../../src/page/copy.ts');
    expect(pageError('participant_revoked')).toMatchObject({ screen: 'removed', title: 'Removed from the lesson', retry: false });
    expect(pageError('removed')).toMatchObject({ screen: 'removed', retry: false });
    expect(pageError('token_superseded')).toMatchObject({ screen: 'link_replaced', title: 'Link replaced', retry: false });
    expect(pageError('token_already_used')).toMatchObject({ screen: 'link_used', title: 'Link already used', retry: false });
  });
});

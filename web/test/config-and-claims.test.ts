// Theming and links come from the join link's query; anything that is not a colour or an
// http(s) URL is dropped. Token claims are read for display only.
import { describe, expect, it } from 'vitest';
import { Analytics } from '../src/lib/analytics.ts';
import { applyTheme, readPageConfig } from '../src/lib/page-config.ts';
import { readTokenClaims } from '../src/lib/token-claims.ts';
import { qualityFrom } from '../src/room-extras.ts';
import { countdown, duration, elapsed, initials } from '../src/lib/format.ts';

describe('page config', () => {
  it('reads colours, logo, brand and action links', () => {
    const c = readPageConfig('?accent=%230B7285&bg=%23fff&logo=https://cdn.market.example/logo.svg&brand=Tutorly&dashboard_url=https://market.example/d&book_url=/book&theme=light', 'https://duet.example/session/x');
    expect(c.colors).toEqual({ accent: '#0B7285', bg: '#fff' });
    expect(c.logo).toBe('https://cdn.market.example/logo.svg');
    expect(c.brand).toBe('Tutorly');
    expect(c.theme).toBe('light');
    expect(c.links).toEqual({ dashboard: 'https://market.example/d', book: 'https://duet.example/book', course: null });
    const root = document.createElement('html');
    applyTheme(c, root);
    expect(root.style.getPropertyValue('--accent')).toBe('#0B7285');
    expect(root.dataset.theme).toBe('light');
  });

  it('drops values that could inject CSS or script', () => {
    const c = readPageConfig('?accent=red;background:url(x)&text=expression(1)&logo=javascript:alert(1)&course_url=data:text/html,x', 'https://duet.example/');
    expect(c.colors).toEqual({});
    expect(c.logo).toBeNull();
    expect(c.links.course).toBeNull();
  });
});

describe('token claims', () => {
  it('reads role, name and session from the payload, and survives garbage', () => {
    const payload = btoa(JSON.stringify({ sid: 's1', sub: 'u1', role: 'tutor', name: 'Tära', exp: 2_000_000_000 })).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    const c = readTokenClaims(`h.${payload}.sig`);
    expect(c).toMatchObject({ sessionId: 's1', userId: 'u1', role: 'tutor' });
    expect(readTokenClaims('not a jwt').role).toBeNull();
    expect(readTokenClaims(null).role).toBeNull();
  });
});

describe('analytics', () => {
  it('sends one-off events once and every tech issue', () => {
    const sent: string[] = [];
    const a = new Analytics({ analytics: async (type: string) => void sent.push(type) }, 's1');
    expect(a.track('session_joined', { time_before_start: 60 })).toBe(true);
    expect(a.track('session_joined')).toBe(false);
    a.track('tech_issue', { error_type: 'media_failed' });
    a.track('tech_issue', { error_type: 'media_failed' });
    a.flush();
    expect(sent).toEqual(['session_joined', 'tech_issue', 'tech_issue']);
    expect(a.sent[0]!.data).toEqual({ session_id: 's1', time_before_start: 60 });
  });

  it('holds the API calls back for a moment (join and first media are busy), then sends them in order', async () => {
    const sent: string[] = [];
    const a = new Analytics({ analytics: async (type: string) => void sent.push(type) }, 's1', null, 30);
    a.track('session_joined');
    a.track('session_started');
    expect(sent).toEqual([]);
    await new Promise((r) => setTimeout(r, 80));
    expect(sent).toEqual(['session_joined', 'session_started']);
    a.track('session_ended');
    a.flush(); // leaving: no wait
    expect(sent).toEqual(['session_joined', 'session_started', 'session_ended']);
    await new Promise((r) => setTimeout(r, 80));
    expect(sent).toHaveLength(3); // nothing sent twice
  });
});

describe('network quality and formats', () => {
  it('rates smooth media good, choppy fair, stalled poor, ignoring what the other side switched off', () => {
    expect(qualityFrom(25, 50, true, true)).toBe('good');
    expect(qualityFrom(6, 50, true, true)).toBe('fair');
    expect(qualityFrom(0, 0, true, true)).toBe('poor');
    expect(qualityFrom(0, 50, false, true)).toBe('good');
    expect(qualityFrom(25, 0, true, false)).toBe('good');
    expect(qualityFrom(0, 0, false, false)).toBe('unknown');
  });
  it('formats clocks and durations', () => {
    expect(elapsed(75)).toBe('1:15');
    expect(elapsed(3725)).toBe('1:02:05');
    expect(countdown(3_661_000)).toBe('1 h 01 min');
    expect(countdown(249_000)).toBe('4 min 09 s');
    expect(duration(754)).toBe('12 min 34 s');
    expect(initials('Tara  Tutor')).toBe('TT');
    expect(initials('sam')).toBe('S');
  });
});

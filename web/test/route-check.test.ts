import { describe, expect, it } from 'vitest';
import { checkRoutes, turnRoutes, verdictOf } from '../src/lib/route-check.ts';

const servers: RTCIceServer[] = [
  { urls: 'stun:stun.example.test:3478' },
  { urls: ['turn:t.example.test:3478?transport=udp', 'turn:t.example.test:3478?transport=tcp', 'turns:t.example.test:443?transport=tcp'], username: '1:u', credential: 'c' },
];

describe('route check', () => {
  it('one TURN server per transport, with its credentials; STUN is not a route', () => {
    const routes = turnRoutes(servers);
    expect([...routes.keys()]).toEqual(['udp', 'tcp', 'tls']);
    expect(routes.get('tls')).toEqual({ urls: 'turns:t.example.test:443?transport=tcp', username: '1:u', credential: 'c' });
    expect(turnRoutes([{ urls: 'stun:s.example.test' }]).size).toBe(0);
  });

  it('the verdict in plain terms', () => {
    expect(verdictOf({ udp: true, tls: true })).toBe('direct');
    expect(verdictOf({ udp: false, tcp: false, tls: true })).toBe('slower');
    expect(verdictOf({ udp: false, tls: false })).toBe('blocked');
    expect(verdictOf({})).toBe('unknown');
  });

  it('probes each transport once, and one check at a time', async () => {
    const probed: string[] = [];
    const probe = async (s: RTCIceServer) => (probed.push(String(s.urls)), !String(s.urls).includes('udp'));
    const [a, b] = [checkRoutes(servers, probe), checkRoutes(servers, probe)];
    expect(a).toBe(b);
    expect(await a).toEqual({ routes: { udp: false, tcp: true, tls: true }, verdict: 'slower' });
    expect(probed).toHaveLength(3);
  });
});

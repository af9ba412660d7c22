import { describe, expect, it } from 'vitest';
import { checkRoutes, slowerRoute, turnRoutes, verdictOf } from '../src/lib/route-check.ts';
import { probeOffer } from '../src/lib/node-probe.ts';
import type { ProbeInfo } from '@duet/signaling/protocol';

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
    expect(await a).toEqual({ routes: { udp: false, tcp: true, tls: true }, verdict: 'slower', via: 'relay-tcp' });
    expect(probed).toHaveLength(3);
  });

  it("the media node's own UDP and TCP count, and name the slower route", async () => {
    expect(verdictOf({}, { udp: true, tcp: true })).toBe('direct');
    expect(verdictOf({ udp: false, tls: true }, { udp: false, tcp: true })).toBe('slower');
    expect(slowerRoute({ udp: false, tls: true }, { udp: false, tcp: true })).toBe('tcp'); // the node itself before the relay
    expect(slowerRoute({ udp: false, tls: true }, { udp: false, tcp: false })).toBe('relay-tls');
    expect(verdictOf({}, { udp: false, tcp: false })).toBe('blocked');
    // No TURN at all: the node's probe alone decides (before, nothing was checked).
    const tried: string[] = [];
    const node = { probe: async () => PROBE, tryRoute: async (_: ProbeInfo, p: 'udp' | 'tcp') => (tried.push(p), p === 'tcp') };
    expect(await checkRoutes([], undefined, node)).toEqual({ routes: {}, node: { udp: false, tcp: true }, verdict: 'slower', via: 'tcp' });
    expect(tried.sort()).toEqual(['tcp', 'udp']);
    // The node made no probe (refused, no socket): TURN alone, as before.
    expect(await checkRoutes([], undefined, { probe: async () => null })).toEqual({ routes: {}, verdict: 'unknown' });
  });

  it("the node's probe becomes an ICE-lite offer with only the asked protocol's candidates, and nothing else", () => {
    const udp = probeOffer(PROBE, 'udp')!;
    expect(udp).toContain('a=ice-lite');
    expect(udp).toContain('a=candidate:udpcandidate 1 udp 1076302079 10.99.0.1 40000 typ host\r\n');
    expect(udp).not.toContain(' tcp ');
    expect(probeOffer(PROBE, 'tcp')).toContain('a=candidate:tcpcandidate 1 tcp 1076276479 10.99.0.1 40000 typ host tcptype passive\r\n');
    // A node (or a man in the middle of the signaling) cannot add SDP lines through the fields.
    expect(probeOffer({ ...PROBE, iceParameters: { usernameFragment: 'a\r\na=x', password: 'p' } }, 'udp')).toBeNull();
    expect(probeOffer({ ...PROBE, iceCandidates: [{ ...PROBE.iceCandidates[0], address: '1.2.3.4\r\na=y' }] }, 'udp')).toBeNull();
    expect(probeOffer({ ...PROBE, iceCandidates: [] }, 'udp')).toBeNull();
  });
});

const PROBE: ProbeInfo = {
  iceParameters: { usernameFragment: 'ufrag0123456789', password: 'pwd0123456789abcdefghij', iceLite: true },
  iceCandidates: [
    { foundation: 'udpcandidate', priority: 1076302079, address: '10.99.0.1', protocol: 'udp', port: 40000, type: 'host' },
    { foundation: 'tcpcandidate', priority: 1076276479, address: '10.99.0.1', protocol: 'tcp', port: 40000, type: 'host', tcpType: 'passive' },
  ],
  dtlsParameters: { role: 'auto', fingerprints: [{ algorithm: 'sha-256', value: Array.from({ length: 32 }, () => 'AB').join(':') }] },
  lifetimeMs: 8_000,
};

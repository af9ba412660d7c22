// Issue 12 item 9: coturn must not relay into private networks through an IPv6 spelling of a
// private IPv4 address. Before the fix the shipped deny list had no IPv4-mapped (::ffff:0:0/96),
// NAT64 (64:ff9b::/96), Teredo or 6to4 ranges, so a peer written as ::ffff:10.0.0.5 or
// 64:ff9b::a00:5 was not denied. The test reads the shipped ranges, checks that addresses in
// every private form fall inside one and public ones do not, and that coturn itself parses
// every range of the shipped file.
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { COTURN_CONFIG, startCoturn } from '../../src/testing/index.ts';

/** An address as a 128-bit number (IPv4 as IPv4-mapped would be wrong here: coturn compares per family). */
function toBig(ip: string): { family: 4 | 6; n: bigint } {
  if (isIPv4(ip)) return { family: 4, n: ip.split('.').reduce((a, p) => (a << 8n) | BigInt(Number(p)), 0n) };
  if (!isIPv6(ip)) throw new Error(`not an address: ${ip}`);
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = toBig(v4[1]!).n;
    text = text.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return { family: 6, n: groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

function deniedRanges(): { family: 4 | 6; lo: bigint; hi: bigint; text: string }[] {
  return readFileSync(COTURN_CONFIG, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('denied-peer-ip='))
    .map((l) => {
      const text = l.slice('denied-peer-ip='.length);
      const [a, b = a] = text.split('-');
      const lo = toBig(a!);
      const hi = toBig(b!);
      expect(lo.family, text).toBe(hi.family);
      expect(lo.n <= hi.n, text).toBe(true);
      return { family: lo.family, lo: lo.n, hi: hi.n, text };
    });
}

const denied = (ip: string) => {
  const a = toBig(ip);
  return deniedRanges().some((r) => r.family === a.family && a.n >= r.lo && a.n <= r.hi);
};

describe('coturn deny list', () => {
  it('covers private IPv4 in every IPv6 spelling: mapped, compatible, NAT64, Teredo, 6to4', () => {
    const ranges = deniedRanges().map((r) => r.text);
    expect(ranges).toContain('::ffff:0.0.0.0-::ffff:255.255.255.255');
    expect(ranges).toContain('64:ff9b::-64:ff9b::ffff:ffff');
    for (const ip of [
      '10.0.0.5', '127.0.0.1', '169.254.169.254', '172.16.3.4', '192.168.1.1', '100.64.0.1', '0.0.0.0',
      '::1', '::', 'fd00::1', 'fe80::1',
      '::ffff:10.0.0.5', '::ffff:127.0.0.1', '::ffff:169.254.169.254', '::ffff:192.168.1.1',
      '::10.0.0.5', '64:ff9b::a00:5', '64:ff9b::127.0.0.1', '64:ff9b:1::a00:5',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2002:a00:5::1', 'ff02::1',
    ]) expect(denied(ip), ip).toBe(true);
    for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001::200e']) expect(denied(ip), ip).toBe(false);
  });

  it('coturn parses every range of the shipped file', async () => {
    const turn = await startCoturn({ secrets: ['x'.repeat(32)] });
    try {
      await new Promise((r) => setTimeout(r, 500));
      expect(turn.logs()).not.toMatch(/Wrong address format|Error resolving/i);
    } finally {
      await turn.stop();
    }
  });
});

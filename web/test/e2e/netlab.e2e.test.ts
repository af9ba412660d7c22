// The network lab (lab/netlab.ts) does what its profiles say: each profile measured with a UDP
// echo (and a bandwidth blast for `mobile`) across a participant's link, four links at once.
// If a rule stops applying (an nft/iptables/tc change, nfq-delay not running), a number here moves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertLoopbackOnly } from './stack.ts';
import { startNetLab, type NetLab, type NetLink } from './lab/netlab.ts';
import { startProber, type Prober } from './lab/probe.ts';

let lab: NetLab;
let prober: Prober;
let links: NetLink[];

beforeAll(async () => {
  assertLoopbackOnly();
  lab = await startNetLab();
  links = [];
  for (const name of ['a', 'b', 'c', 'd']) links.push(await lab.addLink(name));
  prober = await startProber(lab);
}, 60_000);

afterAll(async () => {
  prober?.stop();
  await lab?.stop();
});

describe('network lab profiles (UDP echo across the link)', () => {
  it('clean, wifi, lossy and far: loss and round trip as specified', async () => {
    const [a, b, c, d] = links as [NetLink, NetLink, NetLink, NetLink];
    await Promise.all([a.apply('clean'), b.apply('wifi'), c.apply('lossy'), d.apply('far')]);
    const [clean, wifi, lossy, far] = await Promise.all([prober.echo(a, 300, 3), prober.echo(b, 300, 3), prober.echo(c, 300, 3), prober.echo(d, 150, 6)]);
    console.log(`[netlab] clean ${JSON.stringify(clean)}\n[netlab] wifi ${JSON.stringify(wifi)}\n[netlab] lossy ${JSON.stringify(lossy)}\n[netlab] far ${JSON.stringify(far)}`);
    expect(clean.lossPct).toBeLessThanOrEqual(1);
    expect(clean.rtt.p50).toBeLessThan(5);
    // Loss applies each way: a round trip survives with (1 - p)^2 (wifi 3.96 %, lossy 15.4 %).
    expect(wifi.lossPct).toBeGreaterThan(0.3);
    expect(wifi.lossPct).toBeLessThan(12);
    expect(wifi.rtt.min).toBeGreaterThanOrEqual(19); // 2 x (15 - 5) ms
    expect(wifi.rtt.p10).toBeGreaterThan(20);
    expect(wifi.rtt.p50).toBeGreaterThan(24);
    // Upper bounds leave room for a busy machine (the delayer and the probe are user processes).
    expect(wifi.rtt.p50).toBeLessThan(50);
    expect(lossy.lossPct).toBeGreaterThan(7);
    expect(lossy.lossPct).toBeLessThan(26);
    expect(lossy.rtt.p50).toBeLessThan(5);
    expect(far.lossPct).toBeLessThanOrEqual(1);
    expect(far.rtt.min).toBeGreaterThanOrEqual(299);
    expect(far.rtt.p50).toBeLessThan(340);
  });

  it('mobile: 600/300 kbit/s and 120 ± 40 ms; udp-blocked: nothing; outage: a gap, then back; IP change', async () => {
    const [a, b, c, d] = links as [NetLink, NetLink, NetLink, NetLink];
    await Promise.all([a.apply('mobile'), b.apply('udp-blocked'), c.apply('clean'), d.apply('clean')]);
    const oldAddress = d.address;
    const cut = (async () => {
      await new Promise((r) => setTimeout(r, 700));
      await c.outage(1_000);
    })();
    const [rtt, blocked, outage, newAddress] = await Promise.all([
      prober.echo(a, 100, 10),
      prober.echo(b, 50, 5),
      prober.echo(c, 600, 5),
      d.changeIp(),
      cut,
    ]);
    const down = await prober.down(a, 2_000, 1_000);
    const up = await prober.up(a, 1_500, 1_000);
    console.log(`[netlab] mobile ${JSON.stringify(rtt)} down ${down} up ${up}\n[netlab] udp-blocked ${JSON.stringify(blocked)}\n[netlab] outage 1 s ${JSON.stringify(outage)}`);
    expect(rtt.rtt.p50).toBeGreaterThan(90);
    expect(rtt.rtt.p50).toBeLessThan(155);
    expect(rtt.rtt.p10).toBeGreaterThan(75);
    expect(down).toBeGreaterThan(450);
    expect(down).toBeLessThan(700);
    expect(up).toBeGreaterThan(220);
    expect(up).toBeLessThan(400);
    expect(blocked.received).toBe(0);
    // ~1 s of a ~3.6 s echo lost (more when a busy machine is slow to bring the link back),
    // nothing held and delivered late, the rest intact.
    expect(outage.lossPct).toBeGreaterThan(15);
    expect(outage.lossPct).toBeLessThan(75);
    expect(outage.rtt.max).toBeLessThan(100);
    expect(newAddress).not.toBe(oldAddress);
    const after = await Promise.all([prober.echo(c, 50, 2), prober.echo(d, 50, 2)]);
    for (const e of after) expect(e.lossPct).toBe(0);
    await b.apply('clean');
    expect((await prober.echo(b, 50, 2)).lossPct).toBe(0);
  });
});

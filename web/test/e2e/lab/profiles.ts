// Network profiles for the lab (netlab.ts): what one participant's link does to packets, per
// direction. `down` is toward the participant (what they receive), `up` is what they send.
// Delays are one way: a profile named "30 ms" has 15 ms each way, so the round trip is 30 ms.
export interface Direction {
  /** Percent of packets dropped at random (0-100). */
  lossPct?: number;
  /** One-way delay added, ms. */
  delayMs?: number;
  /** Uniform jitter around delayMs (never reorders: a packet waits for the one ahead). */
  jitterMs?: number;
  /** Bandwidth cap, kbit/s (tbf on the egress that feeds this direction). */
  rateKbit?: number;
}

export interface Profile {
  name: string;
  down: Direction;
  up: Direction;
  /** Every UDP packet in both directions dropped (a firewall that allows only TCP). */
  udpBlocked?: boolean;
  /** For outage profiles: how long the link goes down once the lesson runs (see NetLink.outage). */
  outageMs?: number;
}

const both = (d: Direction) => ({ down: { ...d }, up: { ...d } });

export const PROFILES = {
  clean: { name: 'clean', down: {}, up: {} },
  /** Crowded Wi-Fi: 2 % loss, 30 ± 10 ms round trip. */
  wifi: { name: 'wifi', ...both({ lossPct: 2, delayMs: 15, jitterMs: 5 }) },
  lossy: { name: 'lossy', ...both({ lossPct: 8 }) },
  /** The brief's baseline case: 20 % loss on the student's link. */
  loss20: { name: 'loss20', ...both({ lossPct: 20 }) },
  /** A mobile link: 600 kbit/s down, 300 kbit/s up, 120 ± 40 ms round trip. */
  mobile: { name: 'mobile', down: { rateKbit: 600, delayMs: 60, jitterMs: 20 }, up: { rateKbit: 300, delayMs: 60, jitterMs: 20 } },
  /** The other side of the world: 300 ms round trip. */
  far: { name: 'far', ...both({ delayMs: 150 }) },
  outage5: { name: 'outage5', down: {}, up: {}, outageMs: 5_000 },
  outage20: { name: 'outage20', down: {}, up: {}, outageMs: 20_000 },
  'udp-blocked': { name: 'udp-blocked', down: {}, up: {}, udpBlocked: true },
} satisfies Record<string, Profile>;

export type ProfileName = keyof typeof PROFILES;

export function profile(name: ProfileName | Profile): Profile {
  if (typeof name !== 'string') return name;
  const p = (PROFILES as Record<string, Profile>)[name];
  if (!p) throw new Error(`unknown network profile "${name}" (known: ${Object.keys(PROFILES).join(', ')})`);
  return p;
}

/** The round trip a profile adds (both directions' delays), ms. */
export function profileRttMs(p: Profile): number {
  return (p.down.delayMs ?? 0) + (p.up.delayMs ?? 0);
}

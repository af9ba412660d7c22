// Connection accounting: sockets per client address (checked at the upgrade, before any state
// is allocated), sockets per seat (standby + seated, checked once the token is verified), and
// sockets that have not authenticated yet (node-wide). Without these, one join link or one
// address could hold thousands of sockets (each with timers and buffers) on a media node.
import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { parseTrustProxy as parseApiTrustProxy, type TrustProxy } from '@duet/api/limits';
import type { Connection, SeatAccounting } from './connection.ts';

export type { TrustProxy };

export interface SocketLimitsConfig {
  perAddress: number;
  perSeat: number;
  preAuth: number;
  trustProxy: TrustProxy;
}

/** TRUST_PROXY with the API's own parser (one syntax for both roles), as a value or an Error. */
export function parseTrustProxy(raw: string | undefined): TrustProxy | Error {
  const problems: string[] = [];
  const parsed = parseApiTrustProxy(raw, problems);
  return problems.length > 0 ? new Error(problems.join('; ')) : parsed;
}

const plain = (a: string) => a.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');

/** The client's address: the peer's, or (only when TRUST_PROXY says so) from X-Forwarded-For. */
export function clientAddress(req: IncomingMessage, trust: TrustProxy): string {
  const remote = plain(req.socket.remoteAddress ?? 'unknown');
  if (trust === false) return remote;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((x) => plain(x.trim())).filter(Boolean);
  // Nearest hop first: the peer, then X-Forwarded-For from right to left.
  const chain = [remote, ...forwarded.reverse()];
  if (typeof trust === 'number') return chain[Math.min(trust, chain.length - 1)]!;
  const trusted = new BlockList();
  for (const entry of trust) {
    const [addr, bits] = entry.split('/');
    const type = isIP(addr!) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) trusted.addAddress(addr!, type);
    else trusted.addSubnet(addr!, Number(bits), type);
  }
  const isTrusted = (a: string) => isIP(a) !== 0 && trusted.check(a, isIP(a) === 6 ? 'ipv6' : 'ipv4');
  let i = 0;
  while (i < chain.length - 1 && isTrusted(chain[i]!)) i++;
  return chain[i]!;
}

export class SocketLimits implements SeatAccounting {
  private readonly config: SocketLimitsConfig;
  private readonly byAddress = new Map<string, number>();
  private readonly bySeat = new Map<string, Set<Connection>>();
  private readonly addressOf = new Map<Connection, string>();
  private readonly preAuth = new Set<Connection>();

  constructor(config: SocketLimitsConfig) {
    this.config = config;
  }

  address(req: IncomingMessage): string {
    return clientAddress(req, this.config.trustProxy);
  }

  /** Why a new socket from `address` would be refused now, or undefined. */
  refusal(address: string): 'sockets_per_address' | 'preauth_sockets' | undefined {
    if ((this.byAddress.get(address) ?? 0) >= this.config.perAddress) return 'sockets_per_address';
    if (this.preAuth.size >= this.config.preAuth) return 'preauth_sockets';
    return undefined;
  }

  /** A socket opened: counted (synchronously with the refusal check, so no overshoot), or refused. */
  open(conn: Connection, address: string): 'sockets_per_address' | 'preauth_sockets' | undefined {
    const refused = this.refusal(address);
    if (refused) return refused;
    this.byAddress.set(address, (this.byAddress.get(address) ?? 0) + 1);
    this.addressOf.set(conn, address);
    this.preAuth.add(conn);
    return undefined;
  }

  /**
   * The token was verified (standby or hello): count the socket for its seat, no longer as
   * pre-auth. Beyond the cap the seat's OLDEST standby socket is closed (4008), so the newest
   * always gets through (like a hello, which replaces the seated socket) and a leaked link
   * cannot lock the real participant out; the count stays bounded. Returns the evicted sockets.
   */
  admit(conn: Connection, seatKey: string): Connection[] {
    this.preAuth.delete(conn);
    let set = this.bySeat.get(seatKey);
    if (!set) this.bySeat.set(seatKey, (set = new Set()));
    if (set.has(conn)) return [];
    set.add(conn);
    const evicted: Connection[] = [];
    for (const old of set) {
      if (set.size <= this.config.perSeat) break;
      if (old === conn || old.claims) continue;
      set.delete(old);
      evicted.push(old);
      old.close(4008, 'too many sockets for this seat');
    }
    return evicted;
  }

  /** The socket closed. */
  release(conn: Connection): void {
    const address = this.addressOf.get(conn);
    this.addressOf.delete(conn);
    this.preAuth.delete(conn);
    if (address !== undefined) {
      const n = (this.byAddress.get(address) ?? 1) - 1;
      if (n <= 0) this.byAddress.delete(address);
      else this.byAddress.set(address, n);
    }
    if (conn.seatKey) {
      const set = this.bySeat.get(conn.seatKey);
      set?.delete(conn);
      if (set?.size === 0) this.bySeat.delete(conn.seatKey);
    }
  }

  counts(): { preAuth: number; addresses: number; seats: number } {
    return { preAuth: this.preAuth.size, addresses: this.byAddress.size, seats: this.bySeat.size };
  }
}

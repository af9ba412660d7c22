// A room's media mode and the rules that move it: waiting alone, P2P when both are present
// (the tutor offers), and the one-way switch to the SFU when P2P does not connect in time or
// fails after its ICE restart — make before break: P2P stays up until both receive SFU media.
// Instant join (a P2P room): the lesson starts on the SFU transports the newcomer connected at
// pre-join, and moves to P2P the same way back (the SFU stays up until both receive P2P media).
import type { ModeReason, Notification, Role, RoomMode } from '../protocol/index.ts';
import type { Logger } from '../log.ts';
import type { Seat } from './seat.ts';
import type { RoomTimings } from './timings.ts';

export class MediaMode {
  mode: RoomMode;
  reason: ModeReason;
  /** P2P failed once in this lesson: it stays on the SFU from now on. */
  fellBack = false;
  /** Switching p2p -> sfu: the P2P connection stays up until both sides have SFU media. */
  p2pClosing = false;
  /** Instant join: on the SFU until both receive its media, then P2P takes over (p2p_upgrade). */
  sfuFirst = false;
  /** Upgrading sfu -> p2p: the SFU side stays up until both sides show P2P media (p2p.ready). */
  sfuClosing = false;
  private readonly sfuOnly: boolean;
  private readonly instant: boolean;
  private readonly seats: Map<Role, Seat>;
  private readonly timings: RoomTimings;
  private readonly broadcast: (n: Notification) => void;
  private readonly log: Logger | undefined;
  /** Every move after the initial mode (the room reports it to the API: session.mode_changed). */
  private readonly onChange: ((mode: RoomMode, reason: ModeReason) => void) | undefined;
  /** The upgrade to P2P is done: the SFU side of both goes. */
  private readonly dropSfu: () => void;
  private p2pTimer: ReturnType<typeof setTimeout> | undefined;
  private switchTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: {
    sfuOnly: boolean;
    /** P2P_INSTANT_JOIN: a waiting P2P room accepts preconnects and starts an instant join on the SFU. */
    instantJoin?: boolean;
    reason: ModeReason;
    seats: Map<Role, Seat>;
    timings: RoomTimings;
    broadcast: (n: Notification) => void;
    log: Logger | undefined;
    onChange?: (mode: RoomMode, reason: ModeReason) => void;
    dropSfu?: () => void;
  }) {
    this.sfuOnly = opts.sfuOnly;
    this.instant = opts.instantJoin ?? false;
    this.mode = opts.sfuOnly ? 'sfu' : 'waiting';
    this.reason = opts.reason;
    this.seats = opts.seats;
    this.timings = opts.timings;
    this.broadcast = opts.broadcast;
    this.log = opts.log;
    this.onChange = opts.onChange;
    this.dropSfu = opts.dropSfu ?? (() => undefined);
  }

  /**
   * SFU calls are allowed: SFU mode, P2P while an upgrade still keeps the SFU side up, or waiting
   * alone in a P2P room with instant join (the one waiting holds its SFU side ready, sending nothing).
   */
  get sfuAllowed(): boolean {
    return this.mode === 'sfu' || this.sfuClosing || this.preconnectAllowed;
  }

  /** A pre-join socket may preconnect SFU transports now (someone waits alone in a P2P room, or SFU mode). */
  get preconnectAllowed(): boolean {
    return this.mode === 'sfu' || (this.mode === 'waiting' && this.instant && !this.sfuOnly && !this.fellBack && this.seats.size === 1);
  }

  /**
   * Instant join: the second person joined on transports preconnected at pre-join, so the lesson
   * starts on the SFU (both sides at once) instead of waiting for a P2P negotiation; P2P follows
   * once both receive the SFU media (sfuReady). False: not applicable (the usual rules apply).
   */
  instantJoin(): boolean {
    if (this.mode !== 'waiting' || !this.instant || this.sfuOnly || this.fellBack || this.seats.size !== 2) return false;
    clearTimeout(this.p2pTimer);
    this.mode = 'sfu';
    this.reason = 'instant_join';
    this.sfuFirst = true;
    for (const seat of this.seats.values()) seat.sfuReady = false;
    this.onChange?.('sfu', 'instant_join');
    return true;
  }

  /** After an upgrade: this side shows the other's P2P media; both did: the SFU side goes. */
  p2pReady(role: Role): void {
    const seat = this.seats.get(role);
    if (!seat || !this.sfuClosing || this.mode !== 'p2p') return;
    seat.p2pReady = true;
    if ([...this.seats.values()].every((s) => s.p2pReady)) {
      this.sfuClosing = false;
      this.dropSfu();
      this.broadcast({ t: 'sfu.close' });
    }
  }

  /** P2P signals are relayed in P2P mode and while a switch to the SFU is still closing P2P. */
  get relaying(): boolean {
    return this.mode === 'p2p' || this.p2pClosing;
  }

  /** P2P health from one side; `failed` (after its ICE restart) moves the room to the SFU. */
  p2pStatus(role: Role, state: 'connected' | 'restarting' | 'failed'): RoomMode {
    const seat = this.seats.get(role);
    if (!seat || this.mode !== 'p2p') return this.mode;
    if (state === 'connected') {
      seat.p2pConnected = true;
      if ([...this.seats.values()].every((s) => s.p2pConnected)) clearTimeout(this.p2pTimer);
    } else if (state === 'restarting') {
      seat.p2pConnected = false;
      this.armP2PTimer(); // the restart gets its own deadline
      // Only the offerer restarts ICE; tell it when the answerer saw the failure first.
      if (role !== 'tutor') this.seats.get('tutor')?.conn?.notify({ t: 'p2p.restartIce' });
    } else {
      this.switchToSfu('p2p_failed');
    }
    return this.mode;
  }

  /** Make before break: this side receives the other's media through the SFU now. */
  sfuReady(role: Role): void {
    const seat = this.seats.get(role);
    if (!seat) return;
    seat.sfuReady = true;
    if (this.sfuFirst && this.mode === 'sfu' && this.seats.size === 2 && [...this.seats.values()].every((s) => s.sfuReady && s.conn)) {
      // Both see each other through the SFU: P2P comes up behind it (make before break).
      this.sfuFirst = false;
      this.sfuClosing = true;
      for (const s of this.seats.values()) s.p2pReady = false;
      this.startP2P('p2p_upgrade');
      return;
    }
    if (this.p2pClosing && [...this.seats.values()].every((s) => s.sfuReady || !s.conn)) this.finishSwitch();
  }

  /** After someone came or went: P2P when both are here, waiting when alone (SFU rooms stay). */
  update(): void {
    if (this.sfuOnly || this.fellBack) return; // always 'sfu'
    const both = this.seats.size === 2;
    if (both && this.sfuFirst) return; // an instant join: on the SFU until both receive its media
    if (both && this.sfuClosing && this.mode === 'p2p') return; // upgrading to P2P already
    if (!both) {
      this.sfuFirst = false;
      this.sfuClosing = false;
    }
    if (both && this.mode !== 'p2p') {
      if (this.mode === 'waiting') this.dropSfu(); // the SFU side held while waiting: not used
      this.startP2P('both_present');
    } else if (!both && this.mode !== 'waiting') {
      clearTimeout(this.p2pTimer);
      this.dropSfu(); // an instant join's SFU side, if any: the one left holds a fresh one
      this.mode = 'waiting';
      this.reason = 'peer_left';
      this.broadcast({ t: 'mode', mode: 'waiting', initiator: false, reason: 'peer_left' });
      this.onChange?.('waiting', 'peer_left');
    }
  }

  /** Fresh P2P negotiation: the tutor offers, the student answers. */
  startP2P(reason: ModeReason): void {
    this.mode = 'p2p';
    this.reason = reason;
    for (const seat of this.seats.values()) {
      seat.p2pConnected = false;
      seat.conn?.notify({ t: 'mode', mode: 'p2p', initiator: seat.role === 'tutor', reason });
    }
    this.onChange?.('p2p', reason);
    this.armP2PTimer();
  }

  stop(): void {
    clearTimeout(this.p2pTimer);
    clearTimeout(this.switchTimer);
  }

  private armP2PTimer(): void {
    clearTimeout(this.p2pTimer);
    this.p2pTimer = setTimeout(() => {
      // Nobody can tell while someone is away; the resume restarts ICE and re-arms this.
      if (this.mode === 'p2p' && this.seats.size === 2 && [...this.seats.values()].every((s) => s.conn) && ![...this.seats.values()].every((s) => s.p2pConnected)) {
        this.switchToSfu('p2p_timeout');
      }
    }, this.timings.p2pConnectTimeoutMs);
    this.p2pTimer.unref?.();
  }

  /** P2P did not work out: the SFU for the rest of the lesson, make before break. */
  private switchToSfu(reason: 'p2p_failed' | 'p2p_timeout'): void {
    if (this.mode !== 'p2p') return;
    this.log?.info({ reason }, 'switching to the SFU');
    clearTimeout(this.p2pTimer);
    // An upgrade from an instant join that did not work out: both still have their SFU side.
    this.sfuClosing = false;
    this.fellBack = true;
    this.mode = 'sfu';
    this.reason = reason;
    this.p2pClosing = true;
    for (const seat of this.seats.values()) seat.sfuReady = false;
    this.broadcast({ t: 'mode', mode: 'sfu', initiator: false, reason });
    this.onChange?.('sfu', reason);
    this.switchTimer = setTimeout(() => this.finishSwitch(), this.timings.switchTimeoutMs);
    this.switchTimer.unref?.();
  }

  private finishSwitch(): void {
    if (!this.p2pClosing) return;
    clearTimeout(this.switchTimer);
    this.p2pClosing = false;
    this.broadcast({ t: 'p2p.close' });
  }
}

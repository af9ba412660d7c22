// How long a room waits for things: the reconnect grace, P2P connect and switch deadlines, the
// end warnings and how often the schedule is re-read (all configurable, see config.ts).
export interface RoomTimings {
  /** A dropped participant keeps its seat this long. */
  graceMs: number;
  /** P2P ICE must connect within this time after the mode starts (or after a restart). */
  p2pConnectTimeoutMs: number;
  /** Make before break: the P2P connection is closed at the latest this long after the switch. */
  switchTimeoutMs: number;
  warningMinutes: number[];
  /** How often the lesson's end is re-read from the API (extensions). */
  scheduleRefreshMs: number;
}

export const DEFAULT_TIMINGS: RoomTimings = {
  graceMs: 30_000,
  p2pConnectTimeoutMs: 10_000,
  switchTimeoutMs: 15_000,
  warningMinutes: [5, 1],
  scheduleRefreshMs: 60_000,
};

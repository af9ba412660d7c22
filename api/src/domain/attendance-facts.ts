// Presence facts → intervals. Facts arrive from hooks in any order; sorted by time, each seat is a
// small state machine: a join opens an interval, a drop or leave closes it. A leave with no open
// interval (its "joined" was lost) becomes an interval from the sender's `joined_at` when given; a
// "joined" that is merely late sorts before its leave and pairs with it when it arrives.
export type FactKind = 'join' | 'drop' | 'leave';

export interface PresenceFact {
  eventId: string;
  kind: FactKind;
  at: Date;
  joinedAt: Date | null;
}

export interface DerivedInterval {
  joinedAt: Date;
  leftAt: Date | null;
  joinEventId: string | null;
  leaveEventId: string | null;
}

// At equal times a join sorts before a leave (a zero-length visit), drops between.
const ORDER: Record<FactKind, number> = { join: 0, drop: 1, leave: 2 };

export function deriveIntervals(facts: readonly PresenceFact[]): DerivedInterval[] {
  const sorted = [...facts].sort(
    (a, b) => a.at.getTime() - b.at.getTime() || ORDER[a.kind] - ORDER[b.kind] || a.eventId.localeCompare(b.eventId),
  );
  const out: DerivedInterval[] = [];
  let open: DerivedInterval | null = null;
  for (let i = 0; i < sorted.length; i++) {
    const f = sorted[i]!;
    if (f.kind === 'join') {
      if (open) continue; // already present: a repeated "joined"
      open = { joinedAt: f.at, leftAt: null, joinEventId: f.eventId, leaveEventId: null };
      out.push(open);
    } else if (open) {
      open.leftAt = f.at;
      open.leaveEventId = f.eventId;
      open = null;
    } else if (f.kind === 'leave') {
      const prev = out[out.length - 1];
      // A leave right after a drop just confirms the drop (reconnect grace over): nothing new.
      const prevFact = sorted[i - 1];
      if (prevFact && prevFact.kind === 'drop' && prev && prev.leftAt && prev.leaveEventId === prevFact.eventId) continue;
      if (!f.joinedAt || f.joinedAt >= f.at) continue; // nothing known about when they came
      const start = f.joinedAt;
      // Never overlap the previous interval.
      const joinedAt = prev?.leftAt && prev.leftAt > start ? prev.leftAt : start;
      out.push({ joinedAt, leftAt: f.at, joinEventId: null, leaveEventId: f.eventId });
    }
    // A drop while absent means nothing.
  }
  return out;
}

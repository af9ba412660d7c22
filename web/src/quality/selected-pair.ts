// The candidate pair a connection is using, from one getStats() report. One rule for every reader
// (the room's stats summary, the quality sample, the uplink guard): Chromium names it on the
// `transport` entry; Firefox has no transport entry, and there the succeeded pair marked
// nominated (or `selected`, older Firefox) is the one in use.

type Entry = Record<string, unknown> & { id?: unknown; type?: unknown };

export function selectedPair<E extends Entry>(entries: Iterable<E>): E | undefined {
  const list = [...entries];
  const transport = list.find((e) => e.type === 'transport' && typeof e.selectedCandidatePairId === 'string');
  if (transport) {
    const byTransport = list.find((e) => e.type === 'candidate-pair' && e.id === transport.selectedCandidatePairId);
    if (byTransport) return byTransport;
  }
  return list.find((e) => e.type === 'candidate-pair' && e.state === 'succeeded' && (e.nominated === true || e.selected === true));
}


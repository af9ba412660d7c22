// A receiver on a lossy link gets a smaller simulcast layer. mediasoup already picks each
// consumer's layer from the receiving transport's bandwidth estimate, but random loss (Wi-Fi,
// mobile) does not lower that estimate much: in the network lab at 20 % loss the student kept
// getting 720p and froze ~4 s in 20 s. This caps the consumer's spatial layer from what the
// receiver reports (RTCP fraction lost, NACKed packets, picture loss requests) and lifts the cap
// again after a clean spell. Numbers: docs/network-lab.md.
import type { types } from 'mediasoup';

export const LAYER_ADAPT = {
  everyMs: 2_000,
  /** Share of packets lost or NACKed in an interval that counts as a lossy link. */
  lossy: 0.08,
  /** Below this for `cleanIntervals` in a row, one layer up. */
  clean: 0.02,
  cleanIntervals: 3,
};

interface Counters { packets: number; nacked: number; plis: number }

function read(stats: types.ConsumerStat[]): { counters: Counters; fraction: number } | null {
  const out = stats.find((s) => s.type === 'outbound-rtp') as (types.ConsumerStat & { packetCount?: number; nackPacketCount?: number; pliCount?: number; fractionLost?: number }) | undefined;
  if (!out) return null;
  return { counters: { packets: out.packetCount ?? 0, nacked: out.nackPacketCount ?? 0, plis: out.pliCount ?? 0 }, fraction: (out.fractionLost ?? 0) / 256 };
}

/** Watches one simulcast video consumer until it closes. */
export function adaptLayers(consumer: types.Consumer): void {
  if (consumer.type !== 'simulcast' || consumer.kind !== 'video') return;
  // A simulcast consumer's single encoding names the layers it can give, e.g. scalabilityMode 'L3T3'.
  const mode = /^[LS](\d+)T\d+/.exec(consumer.rtpParameters.encodings?.[0]?.scalabilityMode ?? '');
  const top = Math.max(0, (mode ? Number(mode[1]) : 3) - 1);
  let cap = top;
  let cleanRun = 0;
  let last: Counters | undefined;
  const timer = setInterval(() => {
    void consumer
      .getStats()
      .then(async (stats) => {
        if (consumer.closed) return;
        const now = read(stats);
        if (!now) return;
        const prev = last;
        last = now.counters;
        if (!prev) return;
        const sent = now.counters.packets - prev.packets;
        if (sent <= 0) return;
        const nackShare = (now.counters.nacked - prev.nacked) / sent;
        const plis = now.counters.plis - prev.plis;
        const loss = Math.max(now.fraction, nackShare);
        let next = cap;
        if (loss > LAYER_ADAPT.lossy || plis >= 2) {
          cleanRun = 0;
          next = Math.max(0, Math.min(cap, consumer.currentLayers?.spatialLayer ?? cap) - 1);
        } else if (loss < LAYER_ADAPT.clean && ++cleanRun >= LAYER_ADAPT.cleanIntervals) {
          cleanRun = 0;
          next = Math.min(top, cap + 1);
        }
        if (next !== cap) {
          cap = next;
          await consumer.setPreferredLayers({ spatialLayer: cap, temporalLayer: 2 });
        }
      })
      .catch(() => undefined);
  }, LAYER_ADAPT.everyMs);
  timer.unref?.();
  consumer.observer.once('close', () => clearInterval(timer));
}

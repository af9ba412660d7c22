// A receiver on a weak link gets a smaller simulcast layer. mediasoup already picks each
// consumer's layer from the receiving transport's bandwidth estimate, but two things it does
// are wrong for a thin or lossy link, and this adapter caps the consumer's spatial layer
// (setPreferredLayers) to correct them:
// - Loss: random loss (Wi-Fi, mobile) does not lower that estimate much: in the network lab at
//   20 % loss the student kept getting 720p and froze ~4 s in 20 s. The cap follows what the
//   receiver reports (RTCP fraction lost, NACKed packets, picture loss requests) and is lifted
//   again after a clean spell.
// - The start: mediasoup prices a layer at its bitrate *now*, and a sender that has just started
//   sends every layer cheaply for a moment, so a new consumer started on the 720p layer over a
//   600 kbit/s mobile link while the transport still assumed its 1 Mbit/s start estimate, and the
//   retransmissions of the overflow took the link to 2-3 Mbit/s for ~4 s (deploy/bench/network,
//   `mobile`). For its first seconds a consumer gets only the layers whose *ceiling* (the
//   sender's maxBitrate for it) fits the estimate. Only the first seconds: later the estimate
//   hardly rises above what is sent (the sender cap turns unused layers off, so there is nothing
//   to probe toward), and a lasting cap from it would hold a clean link at 360p.
// Numbers: docs/network-lab.md.
import type { types } from 'mediasoup';

export const LAYER_ADAPT = {
  everyMs: 2_000,
  /** Share of packets lost or NACKed in an interval that counts as a lossy link. */
  lossy: 0.08,
  /** Below this for `cleanIntervals` in a row, one layer up. */
  clean: 0.02,
  cleanIntervals: 3,
  /** Share of the bandwidth estimate a video layer may take (the rest: audio, retransmissions, headroom). */
  videoShare: 0.8,
  /** How many intervals the start's bandwidth cap lasts. */
  startIntervals: 3,
};

interface Counters { packets: number; nacked: number; plis: number }

export interface BandwidthInputs {
  /** Each spatial layer's ceiling, bits/s, lowest first (the sender's encodings' maxBitrate). */
  layerBitrates: number[];
  /** The estimate before the transport has one of its own (its initialAvailableOutgoingBitrate). */
  startBitrate: number;
  /** The receiving transport's current estimate (availableOutgoingBitrate), if any. */
  estimate: () => Promise<number | undefined>;
}

/** The highest spatial layer whose ceiling fits `estimate` (at least layer 0). */
export function layerForBandwidth(estimate: number, layerBitrates: number[]): number {
  let layer = 0;
  layerBitrates.forEach((bps, i) => {
    if (bps <= estimate * LAYER_ADAPT.videoShare) layer = i;
  });
  return layer;
}

/** The sender's per-layer ceilings, when every layer has one (else the bandwidth cap is off). */
export function layerCeilings(producer: { rtpParameters: types.RtpParameters }): number[] | undefined {
  const encodings = producer.rtpParameters.encodings ?? [];
  const ceilings = encodings.map((e) => e.maxBitrate);
  return encodings.length > 1 && ceilings.every((b): b is number => typeof b === 'number' && b > 0) ? ceilings : undefined;
}

/** The bandwidth inputs for a consumer of `producer` on `transport`, when every layer has a ceiling. */
export function bandwidthInputs(
  producer: { rtpParameters: types.RtpParameters },
  transport: { getStats(): Promise<Array<{ availableOutgoingBitrate?: number }>> },
  startBitrate: number,
): BandwidthInputs | undefined {
  const layerBitrates = layerCeilings(producer);
  return layerBitrates && { layerBitrates, startBitrate, estimate: async () => (await transport.getStats())[0]?.availableOutgoingBitrate };
}

function read(stats: types.ConsumerStat[]): { counters: Counters; fraction: number } | null {
  const out = stats.find((s) => s.type === 'outbound-rtp') as (types.ConsumerStat & { packetCount?: number; nackPacketCount?: number; pliCount?: number; fractionLost?: number }) | undefined;
  if (!out) return null;
  return { counters: { packets: out.packetCount ?? 0, nacked: out.nackPacketCount ?? 0, plis: out.pliCount ?? 0 }, fraction: (out.fractionLost ?? 0) / 256 };
}

/** Watches one simulcast video consumer until it closes. */
export function adaptLayers(consumer: types.Consumer, bandwidth?: BandwidthInputs): void {
  if (consumer.type !== 'simulcast' || consumer.kind !== 'video') return;
  // A simulcast consumer's single encoding names the layers it can give, e.g. scalabilityMode 'L3T3'.
  const mode = /^[LS](\d+)T\d+/.exec(consumer.rtpParameters.encodings?.[0]?.scalabilityMode ?? '');
  const top = Math.max(0, (mode ? Number(mode[1]) : 3) - 1);
  const ceilings = bandwidth?.layerBitrates.slice(0, top + 1);
  const fit = (bps: number) => (ceilings && ceilings.length ? Math.min(top, layerForBandwidth(bps, ceilings)) : top);
  /** What loss allows. */
  let lossCap = top;
  /** What the estimate allows during the start (then everything: mediasoup's own choice). */
  let bandwidthCap = bandwidth ? fit(bandwidth.startBitrate) : top;
  let intervals = 0;
  let preferred = top;
  let cleanRun = 0;
  let last: Counters | undefined;
  const apply = async () => {
    const next = Math.min(lossCap, bandwidthCap);
    if (next === preferred || consumer.closed) return;
    preferred = next;
    await consumer.setPreferredLayers({ spatialLayer: next, temporalLayer: 2 });
  };
  void apply().catch(() => undefined);
  const timer = setInterval(() => {
    void (async () => {
      const starting = ++intervals <= LAYER_ADAPT.startIntervals;
      const [stats, estimate] = await Promise.all([consumer.getStats(), starting ? bandwidth?.estimate().catch(() => undefined) : undefined]);
      if (consumer.closed) return;
      if (!starting) bandwidthCap = top;
      else if (estimate !== undefined && estimate > 0) bandwidthCap = fit(estimate);
      const now = read(stats);
      const prev = last;
      if (now) last = now.counters;
      if (now && prev) {
        const sent = now.counters.packets - prev.packets;
        if (sent > 0) {
          const nackShare = (now.counters.nacked - prev.nacked) / sent;
          const plis = now.counters.plis - prev.plis;
          const loss = Math.max(now.fraction, nackShare);
          if (loss > LAYER_ADAPT.lossy || plis >= 2) {
            cleanRun = 0;
            lossCap = Math.max(0, Math.min(lossCap, consumer.currentLayers?.spatialLayer ?? lossCap) - 1);
          } else if (loss < LAYER_ADAPT.clean && ++cleanRun >= LAYER_ADAPT.cleanIntervals) {
            cleanRun = 0;
            lossCap = Math.min(top, lossCap + 1);
          }
        }
      }
      await apply();
    })().catch(() => undefined);
  }, LAYER_ADAPT.everyMs);
  timer.unref?.();
  consumer.observer.once('close', () => clearInterval(timer));
}

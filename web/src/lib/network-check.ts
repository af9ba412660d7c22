// Round-trip time to the API's health endpoint: the median of a few requests (the first one also
// pays for connection setup, so it is dropped).
export const RTT_WARN_MS = 300;

export interface NetworkCheck {
  rttMs: number;
  ok: boolean;
}

export async function checkNetwork(url = '/healthz', rounds = 4, now: () => number = () => performance.now()): Promise<NetworkCheck> {
  const samples: number[] = [];
  for (let i = 0; i <= rounds; i++) {
    const t0 = now();
    const res = await fetch(`${url}?rtt=${Date.now()}-${i}`, { cache: 'no-store' });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`health check answered ${res.status}`);
    if (i > 0) samples.push(now() - t0);
  }
  samples.sort((a, b) => a - b);
  const rttMs = Math.round(samples[Math.floor(samples.length / 2)] ?? 0);
  return { rttMs, ok: rttMs <= RTT_WARN_MS };
}

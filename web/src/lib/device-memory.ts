// The person's device choices, remembered per browser (localStorage): by deviceId, with the label
// as a fallback because some browsers hand out new ids (cleared site data, another profile) while
// the same camera keeps its name. Storage may be blocked (third-party iframe): then nothing is kept.
export type DeviceKind = 'video' | 'audio' | 'speaker';

export interface RememberedDevice {
  id: string;
  label: string;
}

const KEY = 'duet.devices';

function readAll(): Partial<Record<DeviceKind, RememberedDevice>> {
  try {
    const raw = localStorage.getItem(KEY);
    const parsed = raw ? (JSON.parse(raw) as unknown) : null;
    return parsed && typeof parsed === 'object' ? (parsed as Partial<Record<DeviceKind, RememberedDevice>>) : {};
  } catch {
    return {};
  }
}

export function rememberedDevice(kind: DeviceKind): RememberedDevice | null {
  const d = readAll()[kind];
  return d && typeof d.id === 'string' && typeof d.label === 'string' ? d : null;
}

export function rememberDevice(kind: DeviceKind, id: string, label: string): void {
  if (!id) return;
  try {
    localStorage.setItem(KEY, JSON.stringify({ ...readAll(), [kind]: { id: id.slice(0, 256), label: label.slice(0, 256) } }));
  } catch {
    // storage blocked: the choice lasts for this page only
  }
}

/** The remembered device among those present now: same id, else same (non-empty) label. */
export function pickRemembered(kind: DeviceKind, available: readonly { deviceId: string; label: string }[]): string | null {
  const want = rememberedDevice(kind);
  if (!want) return null;
  if (available.some((d) => d.deviceId === want.id)) return want.id;
  return (want.label && available.find((d) => d.label === want.label)?.deviceId) || null;
}

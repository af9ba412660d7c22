// The speaker test: a short two-note chime generated as a WAV (no asset to download), played
// through the chosen speaker.
import { routeToSpeaker } from './devices.ts';

let cachedUrl: string | undefined;

function chimeWav(): string {
  if (cachedUrl) return cachedUrl;
  const rate = 22050;
  const notes = [
    [660, 0.0, 0.35],
    [880, 0.3, 0.6],
  ] as const;
  const length = Math.floor(rate * 0.9);
  const pcm = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    const t = i / rate;
    let v = 0;
    for (const [f, start, end] of notes) {
      if (t < start || t > end) continue;
      const env = Math.min(1, (t - start) * 40) * Math.exp(-4 * (t - start));
      v += Math.sin(2 * Math.PI * f * t) * env * 0.35;
    }
    pcm[i] = Math.max(-1, Math.min(1, v)) * 32767;
  }
  const header = new DataView(new ArrayBuffer(44));
  const str = (o: number, s: string) => [...s].forEach((c, i) => header.setUint8(o + i, c.charCodeAt(0)));
  str(0, 'RIFF');
  header.setUint32(4, 36 + pcm.byteLength, true);
  str(8, 'WAVE');
  str(12, 'fmt ');
  header.setUint32(16, 16, true);
  header.setUint16(20, 1, true); // PCM
  header.setUint16(22, 1, true); // mono
  header.setUint32(24, rate, true);
  header.setUint32(28, rate * 2, true);
  header.setUint16(32, 2, true);
  header.setUint16(34, 16, true);
  str(36, 'data');
  header.setUint32(40, pcm.byteLength, true);
  cachedUrl = URL.createObjectURL(new Blob([header, pcm], { type: 'audio/wav' }));
  return cachedUrl;
}

/** Plays the chime; resolves when it has finished (or rejects if the browser refuses to play). */
export async function playTestSound(speakerId: string): Promise<void> {
  const audio = new Audio(chimeWav());
  await routeToSpeaker(audio, speakerId);
  await audio.play();
  await new Promise<void>((resolve) => {
    audio.onended = () => resolve();
    setTimeout(resolve, 2000);
  });
}

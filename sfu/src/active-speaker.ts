// Active speaker for one router: an AudioLevelObserver over the audio producers, reporting the
// loudest participant, or null after a stretch of silence. One per router; nothing is shared
// between lessons.
import type { types } from 'mediasoup';

export class ActiveSpeaker {
  private readonly observer: types.AudioLevelObserver;
  private current: string | null = null;

  private constructor(observer: types.AudioLevelObserver, onChange: (peerId: string | null) => void) {
    this.observer = observer;
    observer.on('volumes', (volumes) => {
      const peerId = (volumes[0]?.producer.appData as { peerId?: string } | undefined)?.peerId ?? null;
      if (peerId !== this.current) {
        this.current = peerId;
        onChange(peerId);
      }
    });
    observer.on('silence', () => {
      if (this.current !== null) {
        this.current = null;
        onChange(null);
      }
    });
  }

  static async create(router: types.Router, onChange: (peerId: string | null) => void): Promise<ActiveSpeaker> {
    // mediasoup compares the MEAN dBov of each window with the threshold, and speech is mostly
    // pauses: a quiet speaker (or Chromium's beeping fake microphone) averages -70..-80 dBov, so
    // -70 missed them most windows. -80 over 800 ms (as in mediasoup's demo) catches speech with
    // pauses, while room noise after noise suppression (-90 and below) still counts as silence.
    const observer = await router.createAudioLevelObserver({ maxEntries: 1, threshold: -80, interval: 800 });
    return new ActiveSpeaker(observer, onChange);
  }

  /** The producer's appData carries its peerId. */
  async add(producer: types.Producer): Promise<void> {
    await this.observer.addProducer({ producerId: producer.id }).catch(() => undefined);
  }
}

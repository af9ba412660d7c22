// Active speaker for one router: an AudioLevelObserver over the audio producers, reporting the
// loudest participant, or null after a stretch of silence.
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
    // -70 dBov: quieter than any speech; 500 ms keeps the indicator lively without chatter.
    const observer = await router.createAudioLevelObserver({ maxEntries: 1, threshold: -70, interval: 500 });
    return new ActiveSpeaker(observer, onChange);
  }

  /** The producer's appData carries its peerId. */
  async add(producer: types.Producer): Promise<void> {
    await this.observer.addProducer({ producerId: producer.id }).catch(() => undefined);
  }
}

// What the person sends besides the call itself: the screen share, the board's recording track in
// the screen-share slot, and switching camera or microphone mid-call. Kept apart from the room's
// join/signaling logic (room-controller.ts); both act on the same state and media path.
import { openTrack } from './lib/devices.ts';
import { rememberDevice } from './lib/device-memory.ts';
import type { Store } from './lib/store.ts';
import type { MediaPath } from './media/media-path.ts';
import type { RoomState } from './room-state.ts';

export class LocalMedia {
  private readonly state: Store<RoomState>;
  private readonly media: MediaPath;

  constructor(state: Store<RoomState>, media: MediaPath) {
    this.state = state;
    this.media = media;
  }

  /** Starts or stops sharing the screen (a third track in either mode). */
  async toggleScreen(track?: MediaStreamTrack): Promise<void> {
    if (this.state.get().screenOn) return this.stopScreen();
    let screen = track;
    if (!screen) {
      try {
        const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
        screen = stream.getVideoTracks()[0];
      } catch {
        return; // the person cancelled the picker
      }
    }
    if (!screen) return;
    screen.addEventListener('ended', () => void this.stopScreen());
    this.state.set({ screenOn: true, localScreen: new MediaStream([screen]) });
    await this.media.session?.setScreen(screen).catch((err) => console.warn('screen share failed', err));
    this.media.applyTrackState();
  }

  private async stopScreen(): Promise<void> {
    const { localScreen, screenOn } = this.state.get();
    if (!screenOn) return;
    for (const t of localScreen?.getTracks() ?? []) t.stop();
    this.state.set({ screenOn: false, localScreen: null });
    // The board's recording track (if the board is open) takes the slot back.
    await this.media.session?.setScreen(this.media.boardCapture).catch(() => undefined);
    this.media.applyTrackState();
  }

  /**
   * Recorded lessons, tutor: the open board's video (web/src/board/board-capture.ts) goes out in
   * the screen-share slot, so the recorder copies it like a screen share; a real screen share
   * takes the slot while it lasts. Null when the board closes.
   */
  async setBoardCapture(track: MediaStreamTrack | null): Promise<void> {
    this.media.boardCapture = track;
    if (this.state.get().screenOn) return;
    await this.media.session?.setScreen(track).catch((err) => console.warn('board capture failed', err));
  }

  /** Switches the camera or microphone during the call: the new track replaces the old one on
   *  the wire (no renegotiation) and in the local stream every media path shares. */
  async switchDevice(kind: 'audio' | 'video', deviceId: string): Promise<void> {
    const local = this.state.get().local;
    if (!local) return;
    const old = kind === 'audio' ? local.getAudioTracks()[0] : local.getVideoTracks()[0];
    if (old?.getSettings().deviceId === deviceId) return;
    const next = await openTrack(kind, deviceId);
    next.enabled = kind === 'audio' ? this.state.get().micOn : this.state.get().camOn;
    if (old) await this.media.session?.replaceTrack(old, next);
    if (old) local.removeTrack(old);
    local.addTrack(next);
    old?.stop();
    rememberDevice(kind, next.getSettings().deviceId ?? deviceId, next.label);
    this.state.set({ local }); // the same stream object: every media path shares it
  }
}

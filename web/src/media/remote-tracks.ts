// Where the other side's tracks go: the camera and microphone into one remote stream (a new
// stream object per change so the <video> picks it up), a screen share into its own.
import type { Store } from '../lib/store.ts';
import type { RoomState } from '../room-state.ts';
import type { RemoteMediaHandlers } from './media-session.ts';

export function remoteTrackHandlers(state: Store<RoomState>): RemoteMediaHandlers {
  return {
    onTrack: (track, source) => {
      performance.mark(`duet:track-${source}`);
      if (source === 'screen') {
        state.set({ remoteScreen: new MediaStream([track]) });
        return;
      }
      const remote = state.get().remote ?? new MediaStream();
      for (const t of remote.getTracks()) if (t.kind === track.kind) remote.removeTrack(t);
      remote.addTrack(track);
      // A new stream object makes the <video> element pick up the change.
      state.set({ remote: new MediaStream(remote.getTracks()) });
    },
    onTrackEnded: (track, source) => {
      if (source === 'screen' || state.get().remoteScreen?.getTracks().includes(track)) {
        if (state.get().remoteScreen?.getTracks().includes(track)) state.set({ remoteScreen: null });
        return;
      }
      const remote = state.get().remote;
      if (!remote || !remote.getTracks().includes(track)) return;
      state.set({ remote: new MediaStream(remote.getTracks().filter((t) => t !== track)) });
    },
    onConnectionState: (media) => {
      performance.mark(`duet:media-${media}`);
      state.set({ media });
    },
  };
}

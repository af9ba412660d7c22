import { render } from 'preact';
import { App } from './app.tsx';
import { readRoomLocation } from './lib/location.ts';
import { RoomController } from './room-controller.ts';
import './styles.css';

const { sessionId, token } = readRoomLocation();
const controller = new RoomController(sessionId, token);

// Read-only hook for operators' diagnostics and the end-to-end tests.
(window as unknown as { __duet: unknown }).__duet = {
  state: () => {
    const s = controller.state.get();
    return {
      phase: s.phase,
      mode: s.mode,
      media: s.media,
      peer: s.peer,
      error: s.error,
      modeReason: s.modeReason,
      peerPresence: s.peerPresence,
      reconnecting: s.reconnecting,
      speaker: s.speaker,
      warning: s.warning,
      ended: s.ended,
      lesson: s.lesson,
      chat: s.chat,
      screenOn: s.screenOn,
      remoteScreen: s.remoteScreen ? s.remoteScreen.getVideoTracks().length : 0,
    };
  },
  mediaKind: () => controller.mediaKind,
  stats: () => controller.stats(),
  controller,
  test: controller.test,
};

render(<App controller={controller} />, document.getElementById('app')!);
void controller.load();

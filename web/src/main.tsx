import { render } from 'preact';
import { App } from './app.tsx';
import { readRoomLocation } from './lib/location.ts';
import { applyTheme, isEmbedded, readPageConfig } from './lib/page-config.ts';
import { LessonPage } from './page/lesson-page.ts';
import { allowedEmbedOrigins, ancestorOrigin, EmbedBridge } from './lib/embed-bridge.ts';
import { RoomController } from './room-controller.ts';
import './styles.css';
import { applyLanguage, chooseLanguage, setLanguage } from './i18n/i18n.ts';
import { ErrorBoundary } from './ui/error-boundary.tsx';
import { LazyRecordingPlayer, standaloneRecordingPath } from './ui/lazy-player.tsx';

// The language: `lang` on the join link, else the browser's preferences; times in the browser's zone.
setLanguage(chooseLanguage(new URLSearchParams(window.location.search).get('lang'), navigator.languages ?? [navigator.language]));
applyLanguage();

const config = readPageConfig(window.location.search, window.location.href);
applyTheme(config);

// The standalone recording page the marketplace links (signed playback URL in the query): the
// player alone, no room.
const recordingPath = standaloneRecordingPath(window.location);
if (recordingPath) {
  render(
    <main class="standalone-player" data-testid="standalone-player">
      <LazyRecordingPlayer playbackUrl={recordingPath} />
    </main>,
    document.getElementById('app')!,
  );
} else {
  startRoom();
}

function startRoom(): void {
  const { sessionId, token } = readRoomLocation();
  const room = new RoomController(sessionId, token);
  // Embedded: events to, and commands from, the embedding page when its origin is allowed (FRAME_ANCESTORS).
  const bridge = isEmbedded() ? new EmbedBridge(window.parent, allowedEmbedOrigins(), ancestorOrigin()) : null;
  const page = new LessonPage({ sessionId, token, config, room, parent: bridge });
  bridge?.attach(room, config);
  if (isEmbedded()) document.documentElement.dataset.embedded = 'true';

  // Read-only hook for operators' diagnostics and the end-to-end tests.
  (window as unknown as { __duet: unknown }).__duet = {
    view: () => page.state.get().view,
    state: () => {
      const s = room.state.get();
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
        signalingUrl: s.join?.signaling_url ?? null,
      };
    },
    mediaKind: () => room.mediaKind,
    stats: () => room.stats(),
    rawStats: () => room.rawStats(),
    localTracks: () => {
      const local = room.state.get().local;
      const id = (t: MediaStreamTrack | undefined) => t?.getSettings().deviceId ?? null;
      return { audio: id(local?.getAudioTracks()[0]), video: id(local?.getVideoTracks()[0]) };
    },
    analytics: () => page.analytics.sent.map((e) => ({ type: e.type, data: e.data })),
    controller: room,
    test: { ...room.test, renderError: () => page.state.set({ view: 'boom' as never }) },
  };

  render(
    <ErrorBoundary onError={() => page.analytics.track('tech_issue', { error_type: 'render_error' })}>
      <App page={page} />
    </ErrorBoundary>,
    document.getElementById('app')!,
  );
  void page.load();
}

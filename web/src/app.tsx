// Picks the screen for the page's state: loading, early, pre-join, the room, post-session,
// no-show or an error.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useStore } from './lib/store.ts';
import { t } from './i18n/i18n.ts';
import type { LessonPage } from './page/lesson-page.ts';
import { PostSession } from './page/post-session.ts';
import { RESOURCES_CHANGED_TOPIC, RoomExtras } from './room-extras.ts';
import { PostSessionView } from './ui/post-session.tsx';
import { PreJoin } from './ui/prejoin.tsx';
import { RoomView, type RoomActions } from './ui/room-view.tsx';
import { Early, ErrorScreen, Loading, NoShow } from './ui/state-screens.tsx';

export function App(props: { page: LessonPage }) {
  const { page } = props;
  const p = useStore(page.state);
  switch (p.view) {
    case 'loading':
      return <Loading config={page.config} />;
    case 'early':
      return <Early config={page.config} lesson={p.lesson!} opensAt={p.opensAt!} role={page.role} />;
    case 'prejoin':
      return page.devices ? <PreJoin config={page.config} lesson={p.lesson!} role={page.role} name={page.claims.name} check={page.devices} onJoin={(withCamera) => void page.join(withCamera)} /> : <Loading config={page.config} />;
    case 'room':
      return <Room page={page} />;
    case 'post':
      return <Post page={page} />;
    case 'no_show':
      return <NoShow config={page.config} lesson={p.lesson!} role={page.role} />;
    case 'error':
      return <ErrorScreen config={page.config} error={p.error!} onRetry={() => void page.retry()} />;
    default:
      // Never silently blank: the error boundary around the app shows a reload screen.
      throw new Error(`no screen for view ${String(p.view)}`);
  }
}

function Room(props: { page: LessonPage }) {
  const { page } = props;
  const room = page.room;
  const s = useStore(room.state);
  const lesson = page.state.get().lesson;
  const extras = useMemo(() => new RoomExtras(page.api, lesson?.started_at ?? null), []);
  const [speakerId, setSpeakerId] = useState(() => readSpeaker());
  // The tutor shared a file: look at the list again now (the list itself comes from the API).
  useEffect(() => room.onAppData((_from, topic) => topic === RESOURCES_CHANGED_TOPIC && void extras.loadResources()), []);
  useEffect(() => {
    extras.open(
      () => room.stats(),
      () => ({ audio: !!room.state.get().peer?.audio, video: !!room.state.get().peer?.video }),
      { rawStats: () => room.rawStats() as never, mode: () => room.mediaKind },
    );
    return () => extras.close();
  }, []);
  const actions: RoomActions = {
    toggleMic: () => room.toggleMic(),
    toggleCam: () => room.toggleCam(),
    toggleScreen: () => room.toggleScreen(),
    sendChat: (text) => void room.sendChat(text),
    retryChat: (id) => void room.retryChat(id),
    switchDevice: (kind, id) => room.switchDevice(kind, id),
    leave: () => void room.leave(),
    endLesson: () => room.endLesson(),
    retry: () => location.reload(),
    extend: (minutes) => page.extend(minutes),
    boardCapture: (track) => void room.setBoardCapture(track),
    upload: (files) => void extras.upload(files, () => void room.sendAppData(RESOURCES_CHANGED_TOPIC, {}).catch(() => undefined)),
  };
  return (
    <RoomView
      state={s}
      extras={extras}
      lesson={lesson}
      config={page.config}
      actions={actions}
      role={page.role ?? s.role}
      myName={page.claims.name ?? s.join?.you.name ?? t('room.you')}
      speakerId={speakerId}
      board={room.board}
      boardFiles={page.api}
      onSpeaker={(id) => {
        setSpeakerId(id);
        try {
          localStorage.setItem('duet.speaker', id);
        } catch {
          // storage blocked (third-party iframe): the choice lasts for this page only
        }
      }}
    />
  );
}

function readSpeaker(): string {
  try {
    return localStorage.getItem('duet.speaker') ?? '';
  } catch {
    return '';
  }
}

function Post(props: { page: LessonPage }) {
  const { page } = props;
  const post = useMemo(() => (page.api ? new PostSession(page.api, page.analytics, page.state.get().lesson) : null), []);
  const s = useStore(post!.state);
  useEffect(() => {
    void post?.start();
    return () => post?.stop();
  }, []);
  const endReason = page.room.state.get().ended ?? s.lesson?.end_reason ?? null;
  return (
    <PostSessionView
      config={page.config}
      state={s}
      role={page.role}
      endReason={endReason}
      onRate={(r, c) => void post?.submitFeedback(r, c)}
      onUpload={(files) => void post?.upload(files)}
      onRejoin={() => void page.load()}
    />
  );
}

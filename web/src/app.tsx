import { useStore } from './lib/store.ts';
import type { RoomController } from './room-controller.ts';
import { RoomView } from './ui/room-view.tsx';
import { ErrorScreen, Left, Loading, PreJoin } from './ui/screens.tsx';

export function App(props: { controller: RoomController }) {
  const { controller } = props;
  const s = useStore(controller.state);
  switch (s.phase) {
    case 'loading':
      return <Loading />;
    case 'prejoin':
    case 'connecting':
      return s.join ? <PreJoin join={s.join} connecting={s.phase === 'connecting'} onJoin={() => void controller.enter()} /> : <Loading />;
    case 'room':
      return <RoomView state={s} controller={controller} />;
    case 'left':
      return <Left />;
    case 'error':
      return <ErrorScreen error={s.error!} onRetry={() => void controller.load()} />;
  }
}

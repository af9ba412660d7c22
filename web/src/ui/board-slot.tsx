// Where the whiteboard opens in the room. The board (Yjs and the canvas code) is its own chunk,
// loaded the first time someone opens it, so the room's first load stays small.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n/i18n.ts';
import type { BoardStageProps } from '../board/board-stage.tsx';

let stage: Promise<ComponentType<BoardStageProps>> | null = null;
const loadStage = () => (stage ??= import('../board/board-stage.tsx').then((m) => m.default));

export function BoardSlot(props: BoardStageProps) {
  const [Stage, setStage] = useState<ComponentType<BoardStageProps> | null>(null);
  useEffect(() => {
    let live = true;
    void loadStage().then((c) => live && setStage(() => c));
    return () => {
      live = false;
    };
  }, []);
  if (!Stage) {
    return (
      <section class="board" aria-label={t('board.label')} aria-busy="true" data-testid="board-loading">
        <p class="muted">{t('board.loading')}</p>
      </section>
    );
  }
  return <Stage {...props} />;
}

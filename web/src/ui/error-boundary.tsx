// A render error must not leave a blank page. The room's connection lives outside the components
// (RoomController), so when a screen throws, the seat and the media keep going underneath; this
// shows what happened and offers a reload, which rejoins with the same link (the fragment keeps
// the token) and takes the seat back within the reconnect grace.
import { Component, type ComponentChildren } from 'preact';
import { t } from '../i18n/i18n.ts';
import { Icon } from './icons.tsx';

export class ErrorBoundary extends Component<{ children: ComponentChildren; onError?: (err: unknown) => void; reload?: () => void }, { failed: boolean }> {
  override state = { failed: false };

  static override getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override componentDidCatch(err: unknown): void {
    console.error('room render failed', err);
    this.props.onError?.(err);
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <div class="page">
        <main class="card" data-testid="render-error" aria-label={t('err.boundary.title')}>
          <div role="alert">
            <div class="error-icon" aria-hidden="true">
              <Icon name="warn" size={28} />
            </div>
            <h1>{t('err.boundary.title')}</h1>
            <p class="error-message">{t('err.boundary.message')}</p>
          </div>
          <button class="btn primary" onClick={() => (this.props.reload ?? (() => location.reload()))()} data-testid="reload">
            <Icon name="refresh" /> {t('err.boundary.reload')}
          </button>
        </main>
      </div>
    );
  }
}

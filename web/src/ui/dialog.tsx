// A modal dialog: labelled, focus moved in on open and back on close, Escape and the backdrop close it.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren; testId?: string; description?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>('[data-autofocus], select, button, input, textarea');
    first?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') props.onClose();
      if (e.key === 'Tab' && ref.current) {
        // Keep focus inside the dialog.
        const items = [...ref.current.querySelectorAll<HTMLElement>('button, select, input, textarea, a[href]')].filter((x) => !x.hasAttribute('disabled'));
        if (!items.length) return;
        const [firstItem, lastItem] = [items[0]!, items[items.length - 1]!];
        if (e.shiftKey && document.activeElement === firstItem) (e.preventDefault(), lastItem.focus());
        else if (!e.shiftKey && document.activeElement === lastItem) (e.preventDefault(), firstItem.focus());
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      previous?.focus?.();
    };
  }, []);
  const titleId = `dlg-${props.testId ?? 'x'}-title`;
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} ref={ref} data-testid={props.testId}>
        <h2 id={titleId}>{props.title}</h2>
        {props.description ? <p class="muted">{props.description}</p> : null}
        {props.children}
      </div>
    </div>
  );
}

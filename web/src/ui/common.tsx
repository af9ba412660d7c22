// Small pieces every screen uses: avatar, brand bar, the centred card layout.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { initials } from '../lib/format.ts';
import { t } from '../i18n/i18n.ts';
import type { PageConfig } from '../lib/page-config.ts';

export function Avatar(props: { name: string; url?: string | null; size?: 'sm' | 'md' | 'lg' | 'xl' }) {
  const [broken, setBroken] = useState(false);
  const size = props.size ?? 'md';
  if (props.url && !broken) {
    return <img class={`avatar avatar-${size}`} src={props.url} alt="" onError={() => setBroken(true)} referrerpolicy="no-referrer" />;
  }
  return (
    <span class={`avatar avatar-${size}`} aria-hidden="true">
      {initials(props.name)}
    </span>
  );
}

export function BrandBar(props: { config: PageConfig; children?: ComponentChildren }) {
  const { logo, brand } = props.config;
  return (
    <div class="brand">
      {logo ? <img class="brand-logo" src={logo} alt={brand ?? t('common.logo')} /> : <span class="brand-mark" aria-hidden="true" />}
      {brand || !logo ? <span class="brand-name">{brand ?? 'Duet'}</span> : null}
      {props.children}
    </div>
  );
}

export function Screen(props: { config: PageConfig; children: ComponentChildren; wide?: boolean; testId?: string; label?: string; busy?: boolean }) {
  return (
    <div class="page">
      <header class="page-header">
        <BrandBar config={props.config} />
      </header>
      <main class={`card ${props.wide ? 'card-wide' : ''}`} data-testid={props.testId} aria-label={props.label} aria-busy={props.busy ? 'true' : undefined}>
        {props.children}
      </main>
    </div>
  );
}

/** Re-renders every `ms` while mounted (clocks, countdowns). */
export function useTick(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

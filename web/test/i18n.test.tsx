// Languages: every catalogue has every English key (with the same placeholders), the language comes
// from the link's `lang` or the browser, Arabic lays the room out right to left, times carry the zone.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { en } from '../src/i18n/en.ts';
import { applyLanguage, CATALOGUES, chooseLanguage, formatClockWithZone, isRtl, setLanguage, t } from '../src/i18n/i18n.ts';
import { RoomExtras } from '../src/room-extras.ts';
import { RoomView, type RoomActions } from '../src/ui/room-view.tsx';
import { ErrorScreen } from '../src/ui/state-screens.tsx';
import { pageError } from '../src/page/copy.ts';
import { config, lesson, roomState } from './fixtures.ts';

afterEach(() => {
  cleanup();
  setLanguage('en');
  applyLanguage();
});

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogues', () => {
  for (const [lang, cat] of Object.entries(CATALOGUES)) {
    it(`${lang} has every English key, nothing else, and the same placeholders`, () => {
      const missing = Object.keys(en).filter((k) => typeof (cat as Record<string, string>)[k] !== 'string');
      expect(missing, `${lang} misses keys`).toEqual([]);
      const extra = Object.keys(cat).filter((k) => !Object.hasOwn(en, k));
      expect(extra, `${lang} has unknown keys`).toEqual([]);
      for (const [k, v] of Object.entries(cat)) expect(placeholders(v as string), `${lang} ${k}`).toEqual(placeholders(en[k as keyof typeof en]));
    });
  }

  it('offers English, one more language and one right-to-left language', () => {
    expect(Object.keys(CATALOGUES)).toEqual(expect.arrayContaining(['en', 'es', 'ar']));
    expect(isRtl('ar')).toBe(true);
    expect(isRtl('es')).toBe(false);
  });
});

describe('choosing the language', () => {
  it('takes `lang` from the link first, then the browser, then English', () => {
    expect(chooseLanguage('ar', ['es-ES', 'en'])).toBe('ar');
    expect(chooseLanguage(null, ['fr-FR', 'es-MX', 'en'])).toBe('es');
    expect(chooseLanguage('xx', ['de-DE'])).toBe('en');
    expect(chooseLanguage('ES_es', [])).toBe('es');
    expect(chooseLanguage(undefined, [])).toBe('en');
  });

  it('fills placeholders and falls back to English for a key a catalogue lacks', () => {
    setLanguage('es');
    expect(t('room.waiting_title', { name: 'Tara' })).toBe('Ya estás aquí. Esperando a que entre Tara…');
    const saved = CATALOGUES.es!['room.you'];
    delete CATALOGUES.es!['room.you'];
    try {
      expect(t('room.you')).toBe('You');
    } finally {
      CATALOGUES.es!['room.you'] = saved;
    }
  });

  it('formats times in the person’s locale and time zone, with the zone shown', () => {
    setLanguage('en', 'America/New_York');
    expect(formatClockWithZone('2026-12-05T15:30:00Z')).toMatch(/^10:30\s?AM EST$/);
    setLanguage('es', 'Europe/Madrid');
    expect(formatClockWithZone('2026-12-05T15:30:00Z')).toMatch(/^16:30 CET$/);
  });
});

function actions(): RoomActions {
  const f = () => undefined;
  return { toggleMic: f, toggleCam: f, toggleScreen: async () => undefined, sendChat: f, switchDevice: async () => undefined, leave: f, endLesson: async () => undefined, retry: f };
}

function showRoom(role: 'tutor' | 'student' = 'student', over = {}) {
  return render(<RoomView state={roomState({ peer: null, peerPresence: 'absent', media: null, remote: null, ...over })} extras={new RoomExtras(null, null)} lesson={lesson({ status: 'waiting' })} config={config} actions={actions()} role={role} myName="Sam" speakerId="" onSpeaker={() => undefined} />);
}

describe('the room in other languages', () => {
  it('Spanish: the waiting screen, status and controls are Spanish', () => {
    setLanguage('es');
    showRoom();
    expect(screen.getByTestId('waiting').textContent).toContain('Ya estás aquí. Esperando a que entre Tara Tutor…');
    expect(screen.getByTestId('status').textContent).toContain('Esperando');
    expect(screen.getByTestId('toggle-mic').textContent).toContain('Silenciar');
  });

  it('Arabic: the page is right to left and the room speaks Arabic', () => {
    setLanguage('ar');
    applyLanguage();
    showRoom();
    expect(document.documentElement.dir).toBe('rtl');
    expect(document.documentElement.lang).toBe('ar');
    expect(screen.getByTestId('waiting').textContent).toContain('في انتظار انضمام Tara Tutor');
    expect(screen.getByRole('navigation', { name: 'أدوات التحكم في الدرس' })).toBeTruthy();
    setLanguage('en');
    applyLanguage();
    expect(document.documentElement.dir).toBe('ltr');
  });

  it('error screens come from the catalogue', () => {
    setLanguage('es');
    render(<ErrorScreen config={config} error={pageError('lesson_cancelled')} onRetry={vi.fn()} />);
    expect(screen.getByTestId('error-body').textContent).toContain('Clase cancelada');
  });

  it('the stylesheet uses logical properties (no physical left/right margins or paddings)', async () => {
    const { readFile } = await import('node:fs/promises');
    const css = await readFile(`${process.cwd().replace(/\/web$/, '')}/web/src/styles.css`, 'utf8');
    const physical = css.split('\n').filter((l) => /(^|[;{]\s*)(left|right)\s*:|(margin|padding|border)-(left|right)\s*:|text-align:\s*(left|right)/.test(l));
    expect(physical).toEqual([]);
  });
});

describe('keyboard in right-to-left', () => {
  it('arrow keys follow the reading direction in the side panel tabs', () => {
    setLanguage('ar');
    applyLanguage();
    const onTab = vi.fn();
    const r = showRoom();
    fireEvent.click(screen.getByTestId('toggle-chat'));
    fireEvent.keyDown(screen.getByTestId('tab-chat'), { key: 'ArrowLeft' });
    expect(screen.getByTestId('tab-notes').getAttribute('aria-selected')).toBe('true');
    void onTab;
    void r;
  });
});

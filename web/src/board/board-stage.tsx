// The whiteboard stage (loaded lazily with Yjs): a toolbar (tools, colours, widths, undo/redo,
// pages, zoom, the tutor's lock) over a canvas driven by pointer events, so mouse, touch and
// stylus all draw (pressure where the device reports it). Pen strokes stream into the doc while
// drawn; shapes go in when the pointer lifts; the eraser removes what it touches. Undo/redo
// is per person: the UndoManager tracks only this side's own transactions.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import * as Y from 'yjs';
import { t, type MessageKey } from '../i18n/i18n.ts';
import type { BoardLink } from './board-link.ts';
import { addPage, LOCAL, newItem, PAGE_H, PAGE_W, pageBackground, pageCount, pageItems, setPageBackgrounds, SHAPES, toBase64, undoManager, type Item, type ItemKind, type Tool } from './board-doc.ts';
import { Worksheets, WORKSHEET_TYPES, type BoardFiles } from './board-worksheets.ts';
import { drawPage, hits, type Draft, type View } from './board-render.ts';
import { BoardSync, type BoardSyncState } from './board-sync.ts';
import { exportBoard } from './board-export.ts';
import { startBoardCapture, type BoardCapture } from './board-capture.ts';
import './board.css';

const TOOLS: Tool[] = ['pen', 'highlighter', 'line', 'arrow', 'rect', 'ellipse', 'text', 'eraser', 'hand'];
const COLORS: [string, MessageKey][] = [
  ['#111827', 'board.color_black'],
  ['#dc2626', 'board.color_red'],
  ['#2563eb', 'board.color_blue'],
  ['#16a34a', 'board.color_green'],
  ['#ca8a04', 'board.color_yellow'],
  ['#9333ea', 'board.color_purple'],
];
const WIDTHS: [number, MessageKey][] = [
  [2, 'board.width_thin'],
  [5, 'board.width_medium'],
  [10, 'board.width_thick'],
];
const ERRORS: Record<string, MessageKey> = {
  board_locked: 'board.err_locked',
  board_full: 'board.err_full',
  payload_too_large: 'board.err_too_large',
  offline: 'board.err_offline',
  worksheet_failed: 'board.err_worksheet',
  pdf_invalid: 'board.err_pdf_invalid',
  pdf_empty: 'board.err_pdf_invalid',
  pdf_too_large: 'board.err_pdf_too_large',
  pdf_too_many_pages: 'board.err_pdf_too_many_pages',
};

export interface BoardStageProps {
  link: BoardLink;
  role: 'tutor' | 'student' | null;
  /** Tutor: put files into the lesson's resources (the room's upload). */
  onExport?: ((files: File[]) => void) | undefined;
  /** The lesson's files (worksheet images); null when the API cannot be reached from here. */
  files?: BoardFiles | null | undefined;
  /** Tutor of a recorded lesson: the board as a video track for the recording (board-capture.ts), null when it closes. */
  onCapture?: ((track: MediaStreamTrack | null) => void) | undefined;
}

export default function BoardStage(props: BoardStageProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [state, setState] = useState<BoardSyncState>({ locked: false, bytes: 0, maxBytes: 0, error: null, synced: false });
  const [doc, setDoc] = useState<Y.Doc | null>(null);
  const [tool, setTool] = useState<Tool>('pen');
  const [color, setColor] = useState(COLORS[0]![0]);
  const [width, setWidth] = useState(WIDTHS[1]![0]);
  const [page, setPage] = useState(1);
  const [pages, setPages] = useState(1);
  const [zoom, setZoom] = useState(1);
  const [pan, setPan] = useState({ x: 0, y: 0 });
  const [text, setText] = useState<{ x: number; y: number; sx: number; sy: number } | null>(null);
  const [, setTick] = useState(0);
  const draft = useRef<Draft | null>(null);
  const drawing = useRef<{ id: number; item?: Item; last?: { x: number; y: number } } | null>(null);
  const frame = useRef(0);
  const worksheets = useMemo(() => (props.files ? new Worksheets(props.files) : null), []);
  const [bg, setBg] = useState<ImageBitmap | null>(null);
  const [busy, setBusy] = useState(false);
  const bgId = doc ? pageBackground(doc, page) : null;
  useEffect(() => {
    setBg(null);
    if (!bgId || !worksheets) return;
    let live = true;
    void worksheets.image(bgId).then((b) => live && setBg(b));
    return () => {
      live = false;
    };
  }, [bgId, worksheets]);

  const sync = useMemo(() => new BoardSync(props.link, (s) => setState((prev) => ({ ...prev, ...s })), (d) => setDoc(d)), []);
  useEffect(() => {
    setDoc(sync.doc);
    void sync.sync();
    return () => sync.close();
  }, []);
  const undo = useMemo(() => (doc ? undoManager(doc) : null), [doc]);

  // The recording's copy of the board (tutor of a recorded lesson only): started with the stage,
  // stopped when it closes; it follows the page the tutor is on.
  const docRef = useRef<Y.Doc | null>(null);
  docRef.current = doc;
  const capture = useRef<BoardCapture | null>(null);
  useEffect(() => {
    const onCapture = props.onCapture;
    if (!onCapture) return;
    const cap = startBoardCapture(() => docRef.current);
    if (!cap) return;
    capture.current = cap;
    onCapture(cap.track);
    return () => {
      capture.current = null;
      onCapture(null);
      cap.stop();
    };
  }, []);
  useEffect(() => capture.current?.show(page, bg), [page, bg]);
  const readOnly = state.locked && props.role !== 'tutor';

  // Test and tooling hook (e2e tests compare both sides).
  useEffect(() => {
    if (!doc) return;
    // `state`: the state vector plus the content; two docs that merged the same updates match
    // (the raw encoding can differ where each side garbage-collected deletions differently).
    const content = () => ({ meta: doc.getMap('meta').toJSON(), pages: Array.from({ length: pageCount(doc) }, (_, i) => pageItems(doc, i + 1).toJSON()) });
    (window as unknown as { duetBoard?: unknown }).duetBoard = {
      doc,
      encode: () => toBase64(Y.encodeStateAsUpdate(doc)),
      state: () => `${toBase64(Y.encodeStateVector(doc))}|${JSON.stringify(content())}`,
      page: () => pageItems(doc, page).length,
    };
  }, [doc, page]);

  const view = (): View => {
    const el = canvas.current;
    const w = el?.clientWidth ?? PAGE_W;
    const h = el?.clientHeight ?? PAGE_H;
    const fit = Math.min(w / PAGE_W, h / PAGE_H) * 0.96;
    const scale = fit * zoom;
    return { scale, panX: (w - PAGE_W * scale) / 2 + pan.x, panY: (h - PAGE_H * scale) / 2 + pan.y };
  };

  const redraw = () => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => {
      const el = canvas.current;
      const ctx = el?.getContext('2d');
      if (!el || !ctx || !doc) return;
      const dpr = window.devicePixelRatio || 1;
      const w = Math.round(el.clientWidth * dpr);
      const h = Math.round(el.clientHeight * dpr);
      if (el.width !== w || el.height !== h) Object.assign(el, { width: w, height: h });
      drawPage(ctx, pageItems(doc, page).toArray(), view(), dpr, PAGE_W, PAGE_H, draft.current, bg);
    });
  };

  useEffect(() => {
    if (!doc) return;
    const onUpdate = () => {
      setPages(pageCount(doc));
      setTick((n) => n + 1);
      redraw();
    };
    doc.on('update', onUpdate);
    onUpdate();
    const ro = new ResizeObserver(redraw);
    if (canvas.current) ro.observe(canvas.current);
    return () => {
      doc.off('update', onUpdate);
      ro.disconnect();
    };
  }, [doc, page, zoom, pan, bg]);
  useEffect(() => {
    if (undo && doc) for (let p = 1; p <= pages; p++) undo.addToScope(pageItems(doc, p));
  }, [undo, pages]);

  const toPage = (e: PointerEvent) => {
    const r = canvas.current!.getBoundingClientRect();
    const v = view();
    return { x: (e.clientX - r.left - v.panX) / v.scale, y: (e.clientY - r.top - v.panY) / v.scale, sx: e.clientX - r.left, sy: e.clientY - r.top };
  };
  const pressure = (e: PointerEvent) => (e.pointerType === 'mouse' || !e.pressure ? 0.5 : Math.min(1, e.pressure));
  const round = (n: number) => Math.round(n * 10) / 10;

  const erase = (x: number, y: number) => {
    if (!doc) return;
    const items = pageItems(doc, page);
    const r = 8 / view().scale;
    const hit: number[] = [];
    items.forEach((item, i) => hits(item, x, y, r) && hit.push(i));
    if (hit.length) doc.transact(() => hit.reverse().forEach((i) => items.delete(i, 1)), LOCAL);
  };

  const down = (e: PointerEvent) => {
    if (!doc || readOnly || drawing.current) return;
    (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
    const p = toPage(e);
    drawing.current = { id: e.pointerId, last: { x: e.clientX, y: e.clientY } };
    if (tool === 'pen' || tool === 'highlighter') drawing.current.item = newItem(doc, page, { kind: tool, color, width }, [round(p.x), round(p.y), pressure(e)]);
    else if (SHAPES.includes(tool as ItemKind)) draft.current = { kind: tool as ItemKind, color, width, x1: p.x, y1: p.y, x2: p.x, y2: p.y };
    else if (tool === 'eraser') erase(p.x, p.y);
    else if (tool === 'text') {
      drawing.current = null;
      setText({ x: p.x, y: p.y, sx: p.sx, sy: p.sy });
    }
  };
  const move = (e: PointerEvent) => {
    const d = drawing.current;
    if (!d || d.id !== e.pointerId || !doc) return;
    const p = toPage(e);
    if (d.item) {
      const pts = d.item.get('pts') as Y.Array<number>;
      // Coalesced events carry the points between frames (smoother strokes from fast pens).
      const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
      const all = (events.length ? events : [e]).flatMap((ev) => {
        const q = toPage(ev);
        return [round(q.x), round(q.y), pressure(ev)];
      });
      doc.transact(() => pts.push(all), LOCAL);
    } else if (draft.current) {
      draft.current = { ...draft.current, x2: p.x, y2: p.y };
      redraw();
    } else if (tool === 'eraser') erase(p.x, p.y);
    else if (tool === 'hand' && d.last) {
      setPan((o) => ({ x: o.x + e.clientX - d.last!.x, y: o.y + e.clientY - d.last!.y }));
      d.last = { x: e.clientX, y: e.clientY };
    }
  };
  const up = (e: PointerEvent) => {
    const d = drawing.current;
    if (!d || d.id !== e.pointerId) return;
    drawing.current = null;
    const s = draft.current;
    draft.current = null;
    if (s && doc && (Math.abs(s.x2 - s.x1) > 2 || Math.abs(s.y2 - s.y1) > 2)) {
      newItem(doc, page, { kind: s.kind, color: s.color, width: s.width, x1: round(s.x1), y1: round(s.y1), x2: round(s.x2), y2: round(s.y2) });
    }
    undo?.stopCapturing();
    redraw();
  };
  const commitText = (value: string) => {
    if (doc && text && value.trim()) newItem(doc, page, { kind: 'text', color, width, x: round(text.x), y: round(text.y), text: value.trim().slice(0, 500) });
    setText(null);
  };

  const error = state.error ? ERRORS[state.error] ?? 'board.err_refused' : null;
  return (
    <section class="board" aria-label={t('board.label')} data-testid="board" data-synced={state.synced ? 'true' : 'false'} data-locked={state.locked ? 'true' : 'false'} data-background={bg ? 'loaded' : bgId ? 'loading' : 'none'}>
      <div class="board-toolbar" role="toolbar" aria-label={t('board.tools')}>
        <div class="board-group" role="group" aria-label={t('board.tool')}>
          {TOOLS.map((k) => (
            <button key={k} class={`board-btn ${tool === k ? 'active' : ''}`} aria-pressed={tool === k} disabled={readOnly && k !== 'hand'} onClick={() => setTool(k)} data-testid={`board-tool-${k}`}>
              {t(`board.tool_${k}` as MessageKey)}
            </button>
          ))}
        </div>
        <div class="board-group" role="group" aria-label={t('board.color')}>
          {COLORS.map(([c, label]) => (
            <button key={c} class={`board-swatch ${color === c ? 'active' : ''}`} style={{ background: c }} aria-pressed={color === c} aria-label={t(label)} title={t(label)} onClick={() => setColor(c)} />
          ))}
        </div>
        <div class="board-group" role="group" aria-label={t('board.width')}>
          {WIDTHS.map(([w, label]) => (
            <button key={w} class={`board-btn ${width === w ? 'active' : ''}`} aria-pressed={width === w} onClick={() => setWidth(w)}>
              {t(label)}
            </button>
          ))}
        </div>
        <div class="board-group" role="group" aria-label={t('board.history')}>
          <button class="board-btn" onClick={() => undo?.undo()} disabled={readOnly} data-testid="board-undo">{t('board.undo')}</button>
          <button class="board-btn" onClick={() => undo?.redo()} disabled={readOnly} data-testid="board-redo">{t('board.redo')}</button>
        </div>
        <div class="board-group" role="group" aria-label={t('board.pages')}>
          <button class="board-btn" onClick={() => setPage((p) => Math.max(1, p - 1))} disabled={page <= 1} aria-label={t('board.prev_page')}>‹</button>
          <span class="board-page" data-testid="board-page">{t('board.page_of', { n: page, total: pages })}</span>
          <button class="board-btn" onClick={() => setPage((p) => Math.min(pages, p + 1))} disabled={page >= pages} aria-label={t('board.next_page')}>›</button>
          <button class="board-btn" onClick={() => doc && setPage(addPage(doc))} disabled={readOnly} data-testid="board-add-page">{t('board.add_page')}</button>
        </div>
        <div class="board-group" role="group" aria-label={t('board.zoom')}>
          <button class="board-btn" onClick={() => setZoom((z) => Math.max(0.5, z / 1.25))} aria-label={t('board.zoom_out')}>−</button>
          <button class="board-btn" onClick={() => { setZoom(1); setPan({ x: 0, y: 0 }); }}>{Math.round(zoom * 100)}%</button>
          <button class="board-btn" onClick={() => setZoom((z) => Math.min(4, z * 1.25))} aria-label={t('board.zoom_in')}>+</button>
        </div>
        {props.role === 'tutor' && worksheets ? (
          <label class="board-btn board-file" data-testid="board-worksheet" aria-busy={busy}>
            {t('board.worksheet')}
            <input
              type="file"
              accept={WORKSHEET_TYPES}
              class="sr-only"
              onChange={(e) => {
                const input = e.target as HTMLInputElement;
                const file = input.files?.[0];
                input.value = '';
                if (!file || !doc) return;
                setBusy(true);
                void worksheets
                  .addFile(file)
                  .then(
                    (ids) => {
                      setPageBackgrounds(doc, page, ids);
                      setState((p) => ({ ...p, error: null }));
                    },
                    (err: { code?: string }) => setState((p) => ({ ...p, error: err.code?.startsWith('pdf_') ? err.code : 'worksheet_failed' })),
                  )
                  .finally(() => setBusy(false));
              }}
            />
          </label>
        ) : null}
        {props.onExport ? (
          <button class="board-btn" disabled={!doc} onClick={() => doc && void exportBoard(doc, async (p) => { const id = pageBackground(doc, p); return id && worksheets ? worksheets.image(id) : null; }).then(props.onExport)} data-testid="board-export">
            {t('board.export')}
          </button>
        ) : null}
        {props.role === 'tutor' ? (
          <button class={`board-btn ${state.locked ? 'active' : ''}`} aria-pressed={state.locked} onClick={() => void props.link.lock(!state.locked).catch(() => undefined)} data-testid="board-lock">
            {state.locked ? t('board.unlock') : t('board.lock')}
          </button>
        ) : null}
      </div>
      {readOnly ? <p class="board-note" role="status" data-testid="board-locked-note">{t('board.locked_note')}</p> : null}
      {error ? <p class="board-note board-error" role="alert" data-testid="board-error" data-code={state.error ?? ''}>{t(error)}</p> : null}
      <div class="board-canvas-wrap">
        <canvas
          ref={canvas}
          class={`board-canvas tool-${tool}`}
          role="img"
          aria-label={t('board.canvas', { n: page, total: pages })}
          data-testid="board-canvas"
          onPointerDown={down}
          onPointerMove={move}
          onPointerUp={up}
          onPointerCancel={up}
          onWheel={(e) => {
            if (!e.ctrlKey && !e.metaKey) return setPan((o) => ({ x: o.x - e.deltaX, y: o.y - e.deltaY }));
            e.preventDefault();
            setZoom((z) => Math.min(4, Math.max(0.5, z * (e.deltaY < 0 ? 1.1 : 1 / 1.1))));
          }}
        />
        {text ? (
          <input
            class="board-text-input"
            style={{ insetInlineStart: `${text.sx}px`, top: `${text.sy}px` }}
            aria-label={t('board.text_input')}
            maxLength={500}
            autoFocus
            data-testid="board-text-input"
            onKeyDown={(e) => {
              if (e.key === 'Enter') commitText((e.target as HTMLInputElement).value);
              if (e.key === 'Escape') setText(null);
            }}
            onBlur={(e) => commitText((e.target as HTMLInputElement).value)}
          />
        ) : null}
      </div>
    </section>
  );
}

// The side panel: chat (history from the media node, so it survives a reconnect), private notes
// (saved to the API as you type) and the lesson's resources.
import type { ChatMessage } from '@duet/signaling/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { clock, fileSize } from '../lib/format.ts';
import type { Resource } from '../lib/lesson-api.ts';
import { Icon } from './icons.tsx';

export type PanelTab = 'chat' | 'notes' | 'resources';

export interface ChatLine extends ChatMessage {
  pending?: boolean;
  failed?: boolean;
}

const TABS: { id: PanelTab; label: string }[] = [
  { id: 'chat', label: 'Chat' },
  { id: 'notes', label: 'My notes' },
  { id: 'resources', label: 'Resources' },
];

export function SidePanel(props: {
  tab: PanelTab;
  onTab: (t: PanelTab) => void;
  onClose: () => void;
  chat: ChatLine[];
  myRole: string | null;
  onSend: (text: string) => void;
  onRetryChat?: (id: string) => void;
  notes: string;
  notesState: 'idle' | 'loading' | 'saving' | 'saved' | 'error';
  onNotes: (text: string) => void;
  onNotesBlur: () => void;
  resources: Resource[] | null;
  unread: number;
}) {
  const onKey = (e: KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === props.tab);
    if (e.key === 'ArrowRight') props.onTab(TABS[(i + 1) % TABS.length]!.id);
    if (e.key === 'ArrowLeft') props.onTab(TABS[(i + TABS.length - 1) % TABS.length]!.id);
  };
  return (
    <aside class="side-panel" id="side-panel" aria-label="Chat, notes and resources" data-testid="side-panel">
      <div class="panel-head">
        <div role="tablist" aria-label="Side panel" onKeyDown={onKey}>
          {TABS.map((t) => (
            <button key={t.id} role="tab" id={`tab-${t.id}`} aria-selected={props.tab === t.id} aria-controls={`tabpanel-${t.id}`} tabIndex={props.tab === t.id ? 0 : -1} onClick={() => props.onTab(t.id)} data-testid={`tab-${t.id}`}>
              {t.label}
              {t.id === 'chat' && props.unread && props.tab !== 'chat' ? <span class="badge-count inline"> {props.unread}</span> : null}
            </button>
          ))}
        </div>
        <button class="icon-btn" aria-label="Close the side panel" onClick={props.onClose} data-testid="close-panel">
          <Icon name="close" size={18} />
        </button>
      </div>
      <div class="panel-body" role="tabpanel" id={`tabpanel-${props.tab}`} aria-labelledby={`tab-${props.tab}`}>
        {props.tab === 'chat' ? <ChatTab chat={props.chat} myRole={props.myRole} onSend={props.onSend} onRetry={props.onRetryChat} /> : null}
        {props.tab === 'notes' ? <NotesTab text={props.notes} state={props.notesState} onChange={props.onNotes} onBlur={props.onNotesBlur} /> : null}
        {props.tab === 'resources' ? <ResourcesTab resources={props.resources} /> : null}
      </div>
    </aside>
  );
}

function ChatTab(props: { chat: ChatLine[]; myRole: string | null; onSend: (text: string) => void; onRetry?: (id: string) => void }) {
  const [text, setText] = useState('');
  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    list.current?.lastElementChild?.scrollIntoView?.({ block: 'end' });
  }, [props.chat.length]);
  const send = (e: Event) => {
    e.preventDefault();
    if (!text.trim()) return;
    props.onSend(text);
    setText('');
  };
  return (
    <div class="chat">
      {props.chat.length ? (
        <div class="chat-log" role="log" aria-live="polite" aria-label="Chat messages">
        <ol class="chat-list" ref={list} data-testid="chat-list">
          {props.chat.map((m) => {
            const mine = m.role === props.myRole;
            return (
              <li key={m.id} class={`chat-msg ${mine ? 'mine' : 'theirs'} ${m.failed ? 'failed' : ''}`} data-testid="chat-message">
                <span class="chat-meta">
                  <strong>{mine ? 'You' : m.name}</strong> <time dateTime={m.sentAt}>{clock(m.sentAt)}</time>
                  {m.pending ? <span class="muted"> · sending…</span> : null}
                </span>
                <span class="chat-text">{m.text}</span>
                {m.failed ? (
                  <button class="link-btn" onClick={() => props.onRetry?.(m.id)}>
                    Not sent — retry
                  </button>
                ) : null}
              </li>
            );
          })}
        </ol>
        </div>
      ) : (
        <p class="empty muted" data-testid="chat-empty">
          No messages yet. Messages stay here if your connection drops.
        </p>
      )}
      <form class="chat-form" onSubmit={send}>
        <label for="chat-input" class="sr-only">
          Message
        </label>
        <input id="chat-input" type="text" value={text} maxLength={2000} placeholder="Write a message…" autoComplete="off" onInput={(e) => setText((e.target as HTMLInputElement).value)} data-testid="chat-input" />
        <button type="submit" class="btn primary small" disabled={!text.trim()} aria-label="Send message" data-testid="chat-send">
          <Icon name="send" size={18} />
        </button>
      </form>
    </div>
  );
}

const NOTES_STATE: Record<string, string> = { idle: 'Only you can see these notes.', loading: 'Loading…', saving: 'Saving…', saved: 'Saved', error: 'Not saved — check your connection' };

function NotesTab(props: { text: string; state: string; onChange: (t: string) => void; onBlur: () => void }) {
  return (
    <div class="notes">
      <label for="notes-input">Private notes</label>
      <textarea id="notes-input" value={props.text} onInput={(e) => props.onChange((e.target as HTMLTextAreaElement).value)} onBlur={props.onBlur} placeholder="Write anything you want to remember…" data-testid="notes-input" aria-describedby="notes-state" />
      <p id="notes-state" class={`small ${props.state === 'error' ? 'warn-text' : 'muted'}`} role="status" data-testid="notes-state" data-state={props.state}>
        {props.state === 'saved' ? <Icon name="check" size={14} /> : null} {NOTES_STATE[props.state]}
      </p>
    </div>
  );
}

export function ResourceList(props: { resources: Resource[] | null; emptyText?: string }) {
  if (props.resources === null) return <p class="muted">Loading…</p>;
  if (!props.resources.length) return <p class="empty muted">{props.emptyText ?? 'No resources shared for this lesson yet.'}</p>;
  return (
    <ul class="resources" data-testid="resource-list">
      {props.resources.map((r) => (
        <li key={r.id} class="resource">
          <Icon name="file" />
          <span class="resource-name">
            {r.name}
            <span class="muted small"> · {fileSize(r.size)}</span>
          </span>
          <a class="btn small" href={r.url} download={r.name} target="_blank" rel="noopener" aria-label={`Download ${r.name}`} data-testid="resource-download">
            <Icon name="download" size={18} /> Download
          </a>
        </li>
      ))}
    </ul>
  );
}

function ResourcesTab(props: { resources: Resource[] | null }) {
  return <ResourceList resources={props.resources} />;
}

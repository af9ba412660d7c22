// What the room shows beside the media that is not the media node's business: private notes
// (saved through the API), resources, unread chat count, when the lesson started, and a network
// quality estimate from the media stats. Chat, the clock, warnings, the active speaker and screen
// share come from the room controller's state.
import type { LessonApi, Resource } from './lib/lesson-api.ts';
import { Store } from './lib/store.ts';
import { uploadFiles, type UploadState } from './lib/uploads.ts';
import type { MediaStatsSummary } from './media/stats.ts';
import type { StatsEntry } from './quality/index.ts';
import { browserName, RoomQuality, type NetworkQuality, type QualityDetail } from './room-quality.ts';

export type { NetworkQuality } from './room-quality.ts';

/** Where the room's quality numbers come from (RoomController.rawStats / mediaKind). */
export interface QualitySources {
  rawStats: () => Promise<StatsEntry[][]>;
  mode: () => 'p2p' | 'sfu' | null;
}

const SAMPLE_MS = 2000;
const RANK: Record<NetworkQuality, number> = { unknown: 0, good: 1, fair: 2, poor: 3 };

export interface RoomExtrasState {
  panel: 'chat' | 'notes' | 'resources' | null;
  /** Chat messages seen while the chat was open (the rest are unread). */
  chatSeen: number;
  /** When the lesson started (both present), local clock time. */
  startedAt: Date | null;
  notes: string;
  notesState: 'idle' | 'loading' | 'saving' | 'saved' | 'error';
  resources: Resource[] | null;
  /** Resources that arrived while the Resources tab was closed (a badge). */
  newResources: number;
  upload: UploadState;
  quality: NetworkQuality;
  /** The numbers behind `quality` (the indicator's tooltip). */
  qualityDetail: QualityDetail | null;
}

/** app.data topic the tutor's room sends after sharing a file: the other side re-reads the list. */
export const RESOURCES_CHANGED_TOPIC = 'duet.resources_changed';

/** How often the room re-reads the resource list as a fallback to the tutor's nudge. */
const RESOURCES_POLL_MS = 30_000;

export class RoomExtras {
  readonly state = new Store<RoomExtrasState>({ panel: null, chatSeen: 0, startedAt: null, notes: '', notesState: 'idle', resources: null, newResources: 0, upload: { state: 'idle' }, quality: 'unknown', qualityDetail: null });
  private readonly roomQuality = new RoomQuality();
  private qualitySources: QualitySources | undefined;
  private finalSent = false;
  /** The media mode while media flowed (at leave the session is already gone). */
  private lastMode: 'p2p' | 'sfu' | null = null;
  private resourcesTimer: ReturnType<typeof setInterval> | undefined;
  private readonly api: LessonApi | null;
  private notesTimer: ReturnType<typeof setTimeout> | undefined;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private lastStats: { at: number; frames: number; packets: number } | null = null;
  private notesLoaded = false;

  constructor(api: LessonApi | null, startedAt: string | null) {
    this.api = api;
    if (startedAt) this.state.set({ startedAt: new Date(startedAt) });
  }

  /** Starts the room-side work: notes, resources, the network quality estimate. */
  open(stats: () => Promise<MediaStatsSummary | null>, peerMedia: () => { audio: boolean; video: boolean }, sources?: QualitySources): void {
    this.qualitySources = sources;
    globalThis.removeEventListener?.('pagehide', this.onPageHide);
    globalThis.addEventListener?.('pagehide', this.onPageHide);
    if (!this.notesLoaded) void this.loadNotes();
    void this.loadResources();
    clearInterval(this.resourcesTimer);
    this.resourcesTimer = setInterval(() => void this.loadResources(), RESOURCES_POLL_MS);
    clearInterval(this.statsTimer);
    this.statsTimer = setInterval(() => void this.sampleQuality(stats, peerMedia), SAMPLE_MS);
  }

  /** Both people are in the room: the lesson clock starts (if the API did not know yet). */
  markStarted(): void {
    if (!this.state.get().startedAt) this.state.set({ startedAt: new Date() });
  }

  setPanel(panel: RoomExtrasState['panel'], chatCount: number): void {
    this.state.set({ panel, chatSeen: panel === 'chat' ? chatCount : this.state.get().chatSeen, newResources: panel === 'resources' ? 0 : this.state.get().newResources });
    if (panel === 'resources') void this.loadResources();
  }

  /** Keeps the unread count at zero while the chat is open. */
  seeChat(chatCount: number): void {
    if (this.state.get().panel === 'chat' && this.state.get().chatSeen !== chatCount) this.state.set({ chatSeen: chatCount });
  }

  setNotes(text: string): void {
    this.state.set({ notes: text, notesState: 'saving' });
    clearTimeout(this.notesTimer);
    this.notesTimer = setTimeout(() => void this.saveNotes(), 800);
  }

  async saveNotes(): Promise<void> {
    clearTimeout(this.notesTimer);
    if (!this.api || this.state.get().notesState !== 'saving') return;
    const text = this.state.get().notes;
    try {
      await this.api.saveNotes(text);
      if (this.state.get().notes === text) this.state.set({ notesState: 'saved' });
    } catch {
      this.state.set({ notesState: 'error' });
    }
  }

  async loadResources(): Promise<void> {
    if (!this.api) return;
    try {
      const next = await this.api.resources();
      const known = new Set((this.state.get().resources ?? []).map((r) => r.id));
      const added = this.state.get().resources === null ? 0 : next.filter((r) => !known.has(r.id)).length;
      const unseen = this.state.get().panel === 'resources' ? 0 : this.state.get().newResources + added;
      this.state.set({ resources: next, newResources: unseen });
    } catch {
      this.state.set({ resources: this.state.get().resources ?? [] });
    }
  }

  /** Tutor: shares files during the lesson; `onShared` tells the other side to look again. */
  async upload(files: File[], onShared: () => void): Promise<void> {
    if (!this.api) return;
    const ok = await uploadFiles(this.api, files, (upload) => this.state.set({ upload }));
    await this.loadResources();
    if (ok) onShared();
  }

  private readonly onPageHide = () => this.sendQuality(true);

  close(): void {
    globalThis.removeEventListener?.('pagehide', this.onPageHide);
    this.sendQuality(true);
    clearInterval(this.statsTimer);
    clearInterval(this.resourcesTimer);
    if (this.state.get().notesState === 'saving') void this.saveNotes();
  }

  // ---- internals -------------------------------------------------------------

  private async loadNotes(): Promise<void> {
    if (!this.api) return;
    this.notesLoaded = true;
    this.state.set({ notesState: 'loading' });
    try {
      const text = await this.api.notes();
      // Do not overwrite what the person typed while we were loading.
      if (this.state.get().notesState === 'loading') this.state.set({ notes: text, notesState: 'idle' });
    } catch {
      if (this.state.get().notesState === 'loading') this.state.set({ notesState: 'idle' });
    }
  }

  private async sampleQuality(stats: () => Promise<MediaStatsSummary | null>, peerMedia: () => { audio: boolean; video: boolean }): Promise<void> {
    const s = await stats().catch(() => null);
    if (!s) {
      this.lastStats = null;
      this.state.set({ quality: 'unknown' });
      return;
    }
    const now = performance.now();
    const prev = this.lastStats;
    this.lastStats = { at: now, frames: s.videoFramesDecoded, packets: s.audioPacketsReceived };
    // Every tick feeds the tracker, the first one too (a short stay still gets its report).
    const raw = await this.qualitySources?.rawStats().catch(() => null);
    if (raw) {
      this.roomQuality.add(raw, now);
      this.lastMode = this.qualitySources?.mode() ?? this.lastMode;
    }
    if (!prev) return;
    const secs = (now - prev.at) / 1000;
    const expect = peerMedia();
    const flow = qualityFrom((s.videoFramesDecoded - prev.frames) / secs, (s.audioPacketsReceived - prev.packets) / secs, expect.video, expect.audio);
    if (!raw) return this.state.set({ quality: flow });
    const recent = this.roomQuality.recent(now);
    // The worse of "is media flowing" and what the figures say (concealment, freezes, loss, RTT).
    this.state.set({ quality: RANK[recent.level] > RANK[flow] ? recent.level : flow, qualityDetail: recent.detail });
    if (this.roomQuality.due(SAMPLE_MS)) this.sendQuality(false);
  }

  /** The lesson's figures so far to the API; `final` once, when the person leaves or the page goes. */
  sendQuality(final: boolean): void {
    if (!this.api || !this.qualitySources || this.finalSent) return;
    const body = this.roomQuality.report(this.qualitySources.mode() ?? this.lastMode, browserName(navigator.userAgent));
    if (!body) return;
    if (final) this.finalSent = true;
    void this.api.quality({ ...body, ...(final ? { final: true } : {}) });
  }
}

/** Smooth video and steady audio packets (Opus sends ~50/s) → good; choppy → fair; stalled →
 *  poor. What the other side has switched off (muted, camera off) is not held against the network. */
export function qualityFrom(fps: number, audioPps: number, expectVideo: boolean, expectAudio: boolean): NetworkQuality {
  if (!expectVideo && !expectAudio) return 'unknown';
  const video = !expectVideo ? 'good' : fps >= 12 ? 'good' : fps >= 4 ? 'fair' : 'poor';
  const audio = !expectAudio ? 'good' : audioPps >= 30 ? 'good' : audioPps >= 5 ? 'fair' : 'poor';
  if (video === 'poor' || audio === 'poor') return 'poor';
  if (video === 'fair' || audio === 'fair') return 'fair';
  return 'good';
}

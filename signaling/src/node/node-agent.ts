// Keeps this media node registered with the API: registers (retrying until the API answers), sends
// its load every NODE_HEARTBEAT_MS, re-registers when the API forgot it, and follows the drain
// state the API returns (a drain deadline fires `onDrainDeadline`).
import { randomUUID } from 'node:crypto';
import type { NodeConfig } from './node-config.ts';

export interface NodeLoadFigures {
  lessons: number;
  participants: number;
  consumers: number;
  cpu_percent: number;
  bitrate_bps: number;
  workers: number;
}

export interface Directive {
  state: 'active' | 'draining';
  drainDeadline: Date | null;
}

export interface NodeAgentOptions {
  node: NodeConfig;
  apiUrl: string;
  secret: string;
  sampleLoad(): Promise<NodeLoadFigures>;
  onDirective(d: Directive): void;
  log(level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>): void;
}

export class NodeAgent {
  readonly bootId = randomUUID();
  private readonly o: NodeAgentOptions;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private registered = false;
  private stopped = false;
  private inFlight: Promise<void> | null = null;
  private failures = 0;
  /** Heartbeats the API accepted (tests, metrics). */
  beats = 0;
  directive: Directive = { state: 'active', drainDeadline: null };

  constructor(o: NodeAgentOptions) {
    this.o = o;
  }

  get isRegistered(): boolean {
    return this.registered;
  }

  start(): void {
    this.tick();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), ms);
    this.timer.unref();
  }

  private tick(): void {
    if (this.stopped || this.inFlight) return;
    this.inFlight = (this.registered ? this.heartbeat() : this.register())
      .then(
        () => {
          this.failures = 0;
        },
        (err: Error) => {
          this.failures++;
          // Say it once, then every tenth time: an API outage must not flood the log.
          if (this.failures === 1 || this.failures % 10 === 0) this.o.log('warn', 'node registry unreachable', { error: err.message, failures: this.failures });
        },
      )
      .finally(() => {
        this.inFlight = null;
        this.schedule(this.o.node.heartbeatMs);
      });
  }

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.o.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.o.secret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(Math.max(2_000, this.o.node.heartbeatMs)),
    });
  }

  private path(suffix = ''): string {
    return `/internal/nodes/${encodeURIComponent(this.o.node.id)}${suffix}`;
  }

  private async register(): Promise<void> {
    const n = this.o.node;
    const res = await this.call('POST', '/internal/nodes/register', {
      id: n.id,
      signaling_url: n.publicUrl,
      internal_url: n.internalUrl,
      media_address: n.mediaAddress,
      capacity: n.capacity,
      heartbeat_interval_ms: n.heartbeatMs,
      boot_id: this.bootId,
      ...(n.version ? { version: n.version } : {}),
      load: await this.o.sampleLoad(),
    });
    if (!res.ok) throw new Error(`register answered ${res.status}: ${await res.text()}`);
    this.apply((await res.json()) as Record<string, unknown>);
    this.registered = true;
    this.o.log('info', 'registered with the API', { nodeId: n.id, signalingUrl: n.publicUrl, capacity: n.capacity });
  }

  private async heartbeat(): Promise<void> {
    const res = await this.call('POST', this.path('/heartbeat'), { boot_id: this.bootId, load: await this.o.sampleLoad() });
    if (res.status === 404) {
      // The API forgot us (an operator removed the node, or its database was restored): again.
      await res.body?.cancel();
      this.registered = false;
      return this.register();
    }
    if (!res.ok) throw new Error(`heartbeat answered ${res.status}`);
    this.apply((await res.json()) as Record<string, unknown>);
    this.beats++;
  }

  private apply(body: Record<string, unknown>): void {
    const state = body.state === 'draining' ? 'draining' : 'active';
    const deadline = typeof body.drain_deadline === 'string' ? new Date(body.drain_deadline) : null;
    const next: Directive = { state, drainDeadline: deadline && !Number.isNaN(deadline.getTime()) ? deadline : null };
    const prev = this.directive;
    this.directive = next;
    if (prev.state !== next.state || prev.drainDeadline?.getTime() !== next.drainDeadline?.getTime()) this.o.onDirective(next);
  }

  /** Sends a heartbeat now (after a change the API should hear about at once). */
  async beatNow(): Promise<void> {
    await this.inFlight;
    if (!this.registered) return;
    await this.heartbeat().catch(() => undefined);
  }

  /** This node is shutting down: no new lessons; its lessons move at the deadline. */
  async drain(deadlineMs: number, reason: string): Promise<void> {
    const res = await this.call('POST', this.path('/drain'), { boot_id: this.bootId, deadline_seconds: Math.ceil(deadlineMs / 1000), reason });
    if (!res.ok) throw new Error(`drain answered ${res.status}`);
    this.apply((await res.json()) as Record<string, unknown>);
  }

  async deregister(): Promise<void> {
    const res = await this.call('DELETE', this.path());
    await res.body?.cancel();
    if (!res.ok && res.status !== 404) throw new Error(`deregister answered ${res.status}`);
    this.registered = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }
}

// Calls to the Duet API from the room page.
export interface JoinInfo {
  signaling_url: string;
  /** Proof that this page did the join: sent to signaling, and to the API as x-duet-seat-ticket. */
  seat_ticket?: string;
  ice_servers: RTCIceServer[];
  session: {
    id: string;
    title: string;
    status: string;
    scheduled_start: string;
    scheduled_end: string;
    recording: boolean;
  };
  you: { role: 'tutor' | 'student'; user_id: string; name: string };
  peer: { role: 'tutor' | 'student'; user_id: string; name: string; avatar_url: string | null };
  /** The lesson clock; `max_extension_seconds` bounds the tutor's extensions in total. */
  timer?: { ends_at: string; extension_seconds: number; max_extension_seconds: number; warnings_minutes_before_end: number[] };
}

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * The seat ticket of this page's latest join (one lesson per page). With JOIN_TOKEN_SINGLE_USE the
 * link alone stops working once it joined; the page that joined goes on with this ticket.
 */
let seatTicket: string | undefined;
export const currentSeatTicket = (): string | undefined => seatTicket;

export async function joinLesson(sessionId: string, token: string): Promise<JoinInfo> {
  let res: Response;
  try {
    res = await fetch(`/v1/sessions/${encodeURIComponent(sessionId)}/join`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
  } catch {
    throw new ApiError(0, 'network', 'The lesson service cannot be reached. Check your connection and retry.');
  }
  const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } & Record<string, unknown> };
  if (!res.ok) {
    const e = body.error ?? {};
    throw new ApiError(res.status, e.code ?? 'unknown', e.message ?? `The lesson service answered ${res.status}.`, e);
  }
  const info = body as unknown as JoinInfo;
  if (typeof info.seat_ticket === 'string') seatTicket = info.seat_ticket;
  return info;
}

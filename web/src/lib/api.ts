// Calls to the Duet API from the room page, through the client generated from the API's OpenAPI
// document (@duet/sdk/fetch, openapi-fetch): paths, parameters and bodies are typed from the contract.
import { createDuetClient, type DuetClient } from '@duet/sdk/fetch';
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

/** A participant's client: the join token, and the seat ticket once this page has joined. */
export function participantClient(token: string, origin = ''): DuetClient {
  return createDuetClient({ baseUrl: origin, token, headers: () => ({ 'x-duet-seat-ticket': seatTicket }) });
}

type Result<D> = { data?: D; error?: unknown; response: Response };

/** The data of a 2xx answer, or an ApiError with the API's code (`network` when it cannot be reached). */
export async function unwrapCall<D>(call: Promise<Result<D>>, networkMessage = 'The lesson service cannot be reached.'): Promise<D> {
  let r: Result<D>;
  try {
    r = await call;
  } catch {
    throw new ApiError(0, 'network', networkMessage);
  }
  if (r.response.ok) return (r.data ?? {}) as D;
  const body = (typeof r.error === 'object' && r.error !== null ? r.error : {}) as { error?: { code?: string; message?: string } & Record<string, unknown> };
  const e = body.error ?? {};
  throw new ApiError(r.response.status, e.code ?? `http_${r.response.status}`, e.message ?? `The lesson service answered ${r.response.status}.`, e);
}

export async function joinLesson(sessionId: string, token: string): Promise<JoinInfo> {
  const body = await unwrapCall(
    createDuetClient({ baseUrl: '', token }).POST('/v1/sessions/{id}/join', { params: { path: { id: sessionId } }, body: {} }),
    'The lesson service cannot be reached. Check your connection and retry.',
  );
  const info = body as unknown as JoinInfo;
  if (typeof info.seat_ticket === 'string') seatTicket = info.seat_ticket;
  return info;
}

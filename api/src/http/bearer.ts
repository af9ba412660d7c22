// `Authorization: Bearer <credential>`; undefined when absent or not a bearer credential.
import type { FastifyRequest } from 'fastify';

export function bearerOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** The seat ticket POST /join handed out (`x-duet-seat-ticket`), needed with JOIN_TOKEN_SINGLE_USE. */
export const SEAT_TICKET_HEADER = 'x-duet-seat-ticket';
export function seatTicketOf(req: FastifyRequest): string | undefined {
  const header = req.headers[SEAT_TICKET_HEADER];
  return typeof header === 'string' && header.length > 0 && header.length <= 128 ? header : undefined;
}

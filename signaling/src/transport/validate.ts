// Inbound message validation against the protocol's TypeBox schema (compiled once).
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ClientMessageSchema, type ClientMessage } from '../protocol/messages.ts';

const checker = TypeCompiler.Compile(ClientMessageSchema);
// Per-type checkers, only used to explain a rejection precisely.
const byType = new Map(ClientMessageSchema.anyOf.map((s) => [s.properties.t.const as string, TypeCompiler.Compile(s)]));

export type Validation = { ok: true; message: ClientMessage } | { ok: false; id: number | undefined; reason: string };

export function validateClientMessage(value: unknown): Validation {
  if (checker.Check(value)) return { ok: true, message: value };
  const obj = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  const id = obj && Number.isInteger(obj.id) && (obj.id as number) >= 0 && (obj.id as number) < 2 ** 31 ? (obj.id as number) : undefined;
  if (!obj) return { ok: false, id, reason: 'a message must be an object' };
  if (typeof obj.t !== 'string' || !byType.has(obj.t)) return { ok: false, id, reason: `unknown message type ${JSON.stringify(String(obj.t)).slice(0, 64)}` };
  if (id === undefined) return { ok: false, id, reason: 'a request needs a numeric id' };
  const first = byType.get(obj.t)!.Errors(value).First();
  return { ok: false, id, reason: first ? `${first.path || '/'}: ${first.message}` : 'invalid message' };
}

// Every error leaves as `{ "error": { "code", "message", ...details } }`. Client errors carry a stable
// code; anything unexpected is logged and answered with a bare 500 (no internals leak out).
import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { IllegalTransitionError } from '../domain/lesson-status.ts';

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  411: 'length_required',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

const CODE_BY_FASTIFY_CODE: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
};

export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, ...details } };
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody('not_found', `no route for ${req.method} ${req.url.split('?')[0]}`));
  });

  app.setErrorHandler((err: FastifyError & { constraint_name?: string }, req, reply) => {
    if (err instanceof ApiError) {
      return reply.code(err.statusCode).send(errorBody(err.code, err.message, err.details));
    }
    if (err.validation) {
      return reply.code(400).send(errorBody('validation_failed', err.message));
    }
    // A move the database refused (the trigger) or a concurrent writer got there first.
    if (err instanceof IllegalTransitionError || err.constraint_name === 'session_status_transition') {
      return reply.code(409).send(errorBody('illegal_transition', err.message));
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = CODE_BY_FASTIFY_CODE[err.code] ?? CODE_BY_STATUS[status] ?? `http_${status}`;
      return reply.code(status).send(errorBody(code, err.message));
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(errorBody('internal_error', 'internal server error'));
  });
}

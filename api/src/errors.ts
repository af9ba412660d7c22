// Errors that reach a client: an HTTP status, a stable machine-readable code and a message, sent as
// `{ "error": { "code", "message", ...details } }`. Services throw these; routes stay thin.
export class ApiError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(statusCode: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what = 'lesson') => new ApiError(404, 'session_not_found', `${what} not found`);

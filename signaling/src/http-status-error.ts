// A failed HTTP call to another Duet process (the API, the recorder), with the status it answered
// (503 when it could not be reached). Callers branch on `status` (404: gone, 5xx: try again).
export class HttpStatusError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

// One error type for every failure a Posey service reports: the HTTP status, the server's
// machine-readable code and its message, whichever of the services' error shapes it came in.

export interface PoseyErrorInit {
  status: number;
  code: string;
  message: string;
  /** Per-field messages of a validation error (agents, cron). */
  fields?: Record<string, string[]>;
  /** Seconds to wait, from `Retry-After` on a 429. */
  retryAfter?: number;
  /** The parsed body, for anything the fields above leave out. */
  body?: unknown;
  cause?: unknown;
}

export class PoseyError extends Error {
  /** The HTTP status; 0 when no response came (network failure, broken stream). */
  readonly status: number;
  /** The server's code (`invalid_credentials`, `validation_failed`, `access-denied`, ...). */
  readonly code: string;
  readonly fields?: Record<string, string[]>;
  readonly retryAfter?: number;
  readonly body?: unknown;

  constructor(init: PoseyErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'PoseyError';
    this.status = init.status;
    this.code = init.code;
    if (init.fields) this.fields = init.fields;
    if (init.retryAfter !== undefined) this.retryAfter = init.retryAfter;
    if (init.body !== undefined) this.body = init.body;
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The error an error body describes. Understands:
 * - Posey's services: `{"error": {"code", "message", "fields"}}`
 * - auth (GoTrue), new style: `{"code": "...", "message": "..."}`; old style:
 *   `{"code": 400, "error_code": "...", "msg": "..."}`
 * - the gateway (Hasura): `{"errors": [{"message", "extensions": {"code"}}]}`
 */
export function errorFromBody(status: number, body: unknown, retryAfter?: number): PoseyError {
  const base = { status, body, ...(retryAfter === undefined ? {} : { retryAfter }) };
  if (isObject(body)) {
    const nested = body.error;
    if (isObject(nested)) {
      const fields = isObject(nested.fields) ? (nested.fields as Record<string, string[]>) : undefined;
      return new PoseyError({
        ...base,
        code: str(nested.code) ?? `http_${status}`,
        message: str(nested.message) ?? `HTTP ${status}`,
        ...(fields ? { fields } : {}),
      });
    }
    const goTrueCode = str(body.error_code) ?? str(body.code);
    const goTrueMessage = str(body.msg) ?? str(body.message) ?? str(body.error_description);
    if (goTrueCode !== undefined || goTrueMessage !== undefined) {
      return new PoseyError({
        ...base,
        code: goTrueCode ?? `http_${status}`,
        message: goTrueMessage ?? `HTTP ${status}`,
      });
    }
    if (Array.isArray(body.errors) && isObject(body.errors[0])) {
      const first = body.errors[0];
      const extensions = isObject(first.extensions) ? first.extensions : {};
      return new PoseyError({
        ...base,
        code: str(extensions.code) ?? `http_${status}`,
        message: str(first.message) ?? `HTTP ${status}`,
      });
    }
  }
  return new PoseyError({
    ...base,
    code: `http_${status}`,
    message: typeof body === 'string' && body ? body.slice(0, 500) : `HTTP ${status}`,
  });
}

/** The PoseyError a failed response describes (its body is read). */
export async function errorFromResponse(response: Response): Promise<PoseyError> {
  const text = await response.text().catch(() => '');
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: keep the text.
  }
  const retry = Number(response.headers.get('retry-after'));
  return errorFromBody(response.status, body, Number.isFinite(retry) && retry > 0 ? retry : undefined);
}

/** A request that got no response at all. */
export function networkError(url: string, cause: unknown): PoseyError {
  if (cause instanceof PoseyError) return cause;
  if (isAbort(cause)) throw cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new PoseyError({ status: 0, code: 'network_error', message: `${url}: ${detail}`, cause });
}

/** Whether `e` is the rejection of an aborted request or stream. */
export function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError');
}

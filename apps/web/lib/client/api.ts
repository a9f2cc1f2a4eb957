// The browser's calls to the BFF's same-origin `/api/<service>/*` (the cookies go along; no token
// is ever visible here). A 401 means the session ended: the BFF's /auth/expired confirms that and
// sends the person to sign in.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

export function signedOut(): never {
  const next = window.location.pathname + window.location.search;
  // A full navigation: /auth/expired is a route handler that may clear the cookies.
  // eslint-disable-next-line @next/next/no-location-assign-relative-destination
  window.location.assign(`/auth/expired?next=${encodeURIComponent(next)}`);
  throw new ApiError(401, 'Your session has ended.');
}

/** The message of an error body in any of the services' shapes. */
export async function errorOf(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => null)) as
    | { error?: { message?: string; fields?: Record<string, string[]> } | string; msg?: string; message?: string }
    | null;
  const nested = body && typeof body.error === 'object' ? body.error : null;
  const fields = nested?.fields ?? {};
  const detail = Object.entries(fields)
    .map(([field, problems]) => `${field} ${problems.join(', ')}`)
    .join('; ');
  const message = nested?.message ?? body?.msg ?? body?.message ?? (typeof body?.error === 'string' ? body.error : null);
  const retry = response.headers.get('retry-after');
  let text = message ?? `The request failed (${response.status}).`;
  if (detail && !text.includes(detail)) text = `${text}: ${detail}`;
  if (response.status === 429 && retry) text += ` Try again in ${retry} s.`;
  return new ApiError(response.status, text, fields);
}

export interface ApiInit {
  method?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as it is, with its media type (an `.ics` file, say), instead of `body`. */
  raw?: { data: string; type: string };
  /** More request headers (`If-Match`). */
  headers?: Record<string, string>;
}

export async function api<T = unknown>(path: string, init: ApiInit = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  let body: string | undefined;
  if (init.raw) {
    headers['content-type'] = init.raw.type;
    body = init.raw.data;
  } else if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.body);
  }
  const response = await fetch(`/api${path}`, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    cache: 'no-store',
  });
  if (response.status === 401) signedOut();
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

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

export async function api<T = unknown>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(`/api${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    cache: 'no-store',
  });
  if (response.status === 401) signedOut();
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

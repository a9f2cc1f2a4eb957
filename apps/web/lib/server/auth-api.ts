// The BFF's calls to the auth service (GoTrue's API). Answers are read here and never passed on:
// the tokens go into cookies, the rest into redirects and page props.

import { serviceUrl } from './config';
import type { Tokens } from './cookies';
import type { RefreshOutcome } from './refresh';

export interface AuthUser {
  id: string;
  email: string;
  user_metadata?: Record<string, unknown>;
  email_confirmed_at?: string | null;
  created_at?: string;
}

export type AuthResult<T> = { ok: true; status: number; value: T } | { ok: false; status: number; code: string; message: string };

/** GoTrue's error shapes: `{code, msg}`, `{error, error_description}`, or Posey's `{error: {code, message}}`. */
export function authErrorMessage(body: unknown, status: number): { code: string; message: string } {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const nested = b.error && typeof b.error === 'object' ? (b.error as Record<string, unknown>) : null;
    const message = b.msg ?? b.message ?? b.error_description ?? nested?.message ?? b.error;
    const code = b.error_code ?? b.code ?? nested?.code ?? b.error;
    if (typeof message === 'string') {
      return { code: typeof code === 'string' ? code : String(status), message };
    }
  }
  return { code: String(status), message: status >= 500 ? 'The auth service failed; try again.' : `Refused (${status}).` };
}

export async function callAuth<T>(
  path: string,
  init: { method?: string; body?: unknown; token?: string; userAgent?: string | null; query?: Record<string, string> } = {},
): Promise<AuthResult<T>> {
  const url = new URL(serviceUrl('auth') + path);
  for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  // Auth records the device a session was started on: the person's browser, not this server.
  if (init.userAgent) headers['user-agent'] = init.userAgent;
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      cache: 'no-store',
      signal: AbortSignal.timeout(15_000),
    });
  } catch {
    return { ok: false, status: 503, code: 'auth_unreachable', message: 'The auth service cannot be reached; try again shortly.' };
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) return { ok: false, status: response.status, ...authErrorMessage(body, response.status) };
  return { ok: true, status: response.status, value: body as T };
}

export interface SessionAnswer extends Tokens {
  user: AuthUser;
}

export function isSession(value: unknown): value is SessionAnswer {
  return !!value && typeof value === 'object' && typeof (value as Tokens).access_token === 'string'
    && typeof (value as Tokens).refresh_token === 'string';
}

/** The refresh grant, as the single-flight wrapper wants it. */
export async function refreshGrant(refreshToken: string, userAgent?: string | null): Promise<RefreshOutcome> {
  const result = await callAuth<SessionAnswer>('/token', {
    query: { grant_type: 'refresh_token' },
    body: { refresh_token: refreshToken },
    userAgent,
  });
  if (result.ok && isSession(result.value)) return { kind: 'ok', tokens: result.value };
  if (!result.ok && result.status >= 400 && result.status < 500 && result.status !== 429) {
    return { kind: 'invalid', message: result.message };
  }
  return { kind: 'unavailable', message: result.ok ? 'no session in the answer' : result.message };
}

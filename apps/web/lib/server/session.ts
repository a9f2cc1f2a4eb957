// The signed-in person's access token, for route handlers and server components. The proxy has
// already refreshed it; this only reads the cookie (never hands it to the browser).

import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';

import { serviceUrl, type Service } from './config';
import { cookieNames, parseCookies, type CookieNames } from './cookies';
import { readClaims } from './jwt';
import { appOrigin, isHttps } from './origin';

export interface RequestContext {
  origin: string;
  names: CookieNames;
  accessToken?: string;
  refreshToken?: string;
}

/** For a route handler: the origin, cookie names and tokens of `request`. */
export function requestContext(request: Request): RequestContext {
  const origin = appOrigin(request.headers);
  const names = cookieNames(isHttps(origin));
  const jar = parseCookies(request.headers.get('cookie'));
  return { origin, names, accessToken: jar.get(names.access), refreshToken: jar.get(names.refresh) };
}

/** For a server component: the access token, or null when signed out. */
export async function accessToken(): Promise<string | null> {
  const origin = appOrigin(await headers());
  const names = cookieNames(isHttps(origin));
  return (await cookies()).get(names.access)?.value ?? null;
}

/** The signed-in person's id and email from the token (display only; services verify). */
export async function currentClaims() {
  const token = await accessToken();
  return token ? readClaims(token) : null;
}

export class ServiceError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A service call from a server component. A 401 means the session ended (revoked elsewhere):
 * the person is sent through `/auth/expired`, which checks that and clears the cookies.
 */
export async function serviceJson<T>(service: Service, path: string, next = '/chat'): Promise<T> {
  const token = await accessToken();
  if (!token) redirect(`/sign-in?next=${encodeURIComponent(next)}`);
  let response: Response;
  try {
    response = await fetch(serviceUrl(service) + path, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      cache: 'no-store',
      signal: AbortSignal.timeout(15_000),
    });
  } catch {
    throw new ServiceError(503, `The ${service} service cannot be reached.`);
  }
  if (response.status === 401) redirect(`/auth/expired?next=${encodeURIComponent(next)}`);
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string }; msg?: string } | null;
    throw new ServiceError(response.status, body?.error?.message ?? body?.msg ?? `The ${service} service answered ${response.status}.`);
  }
  return (await response.json()) as T;
}

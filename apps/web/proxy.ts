// Runs before every page and API route: refuses cross-site writes, refreshes the session's tokens
// (one refresh per refresh token, however many tabs ask at once), keeps signed-out people out of
// the app, and gives each page a nonce-based Content-Security-Policy.

import { NextResponse, type NextRequest } from 'next/server';

import { refreshGrant } from '@/lib/server/auth-api';
import { clearedSessionCookies, cookieNames, parseCookies, sessionCookies, withCookies } from '@/lib/server/cookies';
import { checkCsrf, csrfRefusal } from '@/lib/server/csrf';
import { contentSecurityPolicy, newNonce } from '@/lib/server/csp';
import { needsRefresh } from '@/lib/server/jwt';
import { appOrigin, isHttps } from '@/lib/server/origin';
import { singleFlight } from '@/lib/server/refresh';
import { isPublicPath, isSignedOutPage, safeNext } from '@/lib/server/routes';

const refreshOnce = singleFlight((token) => refreshGrant(token));

export async function proxy(request: NextRequest) {
  const origin = appOrigin(request.headers);
  const names = cookieNames(isHttps(origin));
  const { pathname, searchParams } = request.nextUrl;

  // An email link that landed on the site URL itself (auth's default redirect): finish it.
  if (pathname === '/' && (searchParams.has('code') || searchParams.has('error_code'))) {
    const to = new URL(`/auth/callback${request.nextUrl.search}`, origin);
    return NextResponse.redirect(to, 303);
  }

  const csrf = checkCsrf(request.method, request.headers, origin);
  if (!csrf.ok) return csrfRefusal(csrf.reason);

  const jar = parseCookies(request.headers.get('cookie'));
  let access = jar.get(names.access);
  const refresh = jar.get(names.refresh);
  const setCookies: string[] = [];
  const requestHeaders = new Headers(request.headers);

  if (refresh && needsRefresh(access, Date.now() / 1000)) {
    const outcome = await refreshOnce(refresh);
    if (outcome.kind === 'ok') {
      access = outcome.tokens.access_token;
      setCookies.push(...sessionCookies(names, outcome.tokens));
      requestHeaders.set(
        'cookie',
        withCookies(request.headers.get('cookie'), {
          [names.access]: outcome.tokens.access_token,
          [names.refresh]: outcome.tokens.refresh_token,
        }),
      );
    } else if (outcome.kind === 'invalid') {
      access = undefined;
      setCookies.push(...clearedSessionCookies(names));
      requestHeaders.set(
        'cookie',
        withCookies(request.headers.get('cookie'), { [names.access]: null, [names.refresh]: null }),
      );
    }
  }
  const signedIn = !!access && !needsRefresh(access, Date.now() / 1000, 0);

  let response: NextResponse;
  if (!signedIn && !isPublicPath(pathname)) {
    const to = new URL('/sign-in', origin);
    if (pathname !== '/') to.searchParams.set('next', safeNext(pathname + request.nextUrl.search));
    response = NextResponse.redirect(to, 303);
  } else if (signedIn && (pathname === '/' || isSignedOutPage(pathname))) {
    response = NextResponse.redirect(new URL(safeNext(searchParams.get('next')), origin), 303);
  } else if (pathname.startsWith('/api/') || pathname.startsWith('/auth/')) {
    response = NextResponse.next({ request: { headers: requestHeaders } });
  } else {
    const nonce = newNonce();
    const csp = contentSecurityPolicy(nonce);
    requestHeaders.set('x-nonce', nonce);
    requestHeaders.set('content-security-policy', csp);
    response = NextResponse.next({ request: { headers: requestHeaders } });
    response.headers.set('content-security-policy', csp);
  }
  for (const cookie of setCookies) response.headers.append('set-cookie', cookie);
  response.headers.set('x-content-type-options', 'nosniff');
  response.headers.set('referrer-policy', 'same-origin');
  response.headers.set('x-frame-options', 'DENY');
  return response;
}

export const config = {
  // Not static files, and not the upload route, which streams its body itself (a proxy would
  // buffer it) and checks the same things on its own.
  matcher: ['/((?!_next/static|_next/image|favicon.ico|icon.svg|manifest.webmanifest|sw.js|upload/).*)'],
};

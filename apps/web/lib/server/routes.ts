// Which paths need a session and which are for signing in.

const PUBLIC_PAGES = ['/sign-in', '/sign-up', '/forgot-password', '/check-email', '/invite'];

/** Pages and endpoints anyone may open; everything else needs a session. */
export function isPublicPath(pathname: string): boolean {
  if (pathname.startsWith('/auth/') || pathname.startsWith('/api/') || pathname.startsWith('/upload/')) return true;
  // A calendar's private feed: calendar apps fetch it without a session; its token is the key.
  if (pathname.startsWith('/feeds/')) return true;
  return PUBLIC_PAGES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

/** Pages only for someone signed out (a signed-in person goes to the app instead). */
export function isSignedOutPage(pathname: string): boolean {
  return ['/sign-in', '/sign-up'].some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

/** A same-site path to go to after signing in; anything else becomes the chat. */
export function safeNext(raw: string | null | undefined, fallback = '/chat'): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return fallback;
  if (raw.startsWith('/auth/') || raw.startsWith('/api/')) return fallback;
  return raw;
}

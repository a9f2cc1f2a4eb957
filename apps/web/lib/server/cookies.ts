// The session cookies. Tokens live only here: HttpOnly (no script reads them), Secure, SameSite=Lax,
// Path=/, and `__Host-` prefixed over HTTPS (which pins them to this host). Chromium treats
// http://localhost as a secure context, so Secure cookies work there too.

export const REFRESH_MAX_AGE = 30 * 24 * 3600; // auth's default session inactivity timeout
export const PKCE_MAX_AGE = 3600; // auth's default email token lifetime

export interface CookieNames {
  access: string;
  refresh: string;
  pkce: string;
}

export function cookieNames(https: boolean): CookieNames {
  const prefix = https ? '__Host-' : '';
  return { access: `${prefix}posey-at`, refresh: `${prefix}posey-rt`, pkce: `${prefix}posey-pkce` };
}

/** A `Set-Cookie` value with the attributes every token cookie has. `maxAge` 0 deletes. */
export function tokenCookie(name: string, value: string, maxAge: number): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', `Max-Age=${Math.max(0, Math.floor(maxAge))}`];
  parts.push('HttpOnly', 'Secure', 'SameSite=Lax');
  return parts.join('; ');
}

/** The cookies of a `Cookie` header. */
export function parseCookies(header: string | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const piece of header.split(';')) {
    const eq = piece.indexOf('=');
    if (eq < 0) continue;
    const name = piece.slice(0, eq).trim();
    if (!name || out.has(name)) continue;
    const raw = piece.slice(eq + 1).trim();
    try {
      out.set(name, decodeURIComponent(raw));
    } catch {
      out.set(name, raw);
    }
  }
  return out;
}

/** A `Cookie` header with `changes` applied (a null value removes the cookie). */
export function withCookies(header: string | null, changes: Record<string, string | null>): string {
  const jar = parseCookies(header);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) jar.delete(name);
    else jar.set(name, value);
  }
  return [...jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

/** The `Set-Cookie` values that store a session. */
export function sessionCookies(names: CookieNames, tokens: Tokens): string[] {
  return [
    tokenCookie(names.access, tokens.access_token, tokens.expires_in),
    tokenCookie(names.refresh, tokens.refresh_token, REFRESH_MAX_AGE),
  ];
}

/** The `Set-Cookie` values that end a session here. */
export function clearedSessionCookies(names: CookieNames): string[] {
  return [tokenCookie(names.access, '', 0), tokenCookie(names.refresh, '', 0)];
}

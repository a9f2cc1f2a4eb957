// Reads an access token's claims without verifying it: the BFF only needs its expiry (and the
// session id) to know when to refresh; the services verify every token they are given.

export interface Claims {
  sub?: string;
  exp?: number;
  session_id?: string;
  email?: string;
  /** Posey's roles (auth grants `admin` to the install's owner). */
  roles?: unknown;
}

/** Whether the token names the `admin` role: only decides what the pages show; auth enforces it. */
export function isAdmin(claims: Claims | null | undefined): boolean {
  return Array.isArray(claims?.roles) && claims.roles.includes('admin');
}

export function readClaims(token: string): Claims | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = Buffer.from(part, 'base64url').toString('utf8');
    const claims: unknown = JSON.parse(json);
    return claims && typeof claims === 'object' ? (claims as Claims) : null;
  } catch {
    return null;
  }
}

/** Whether `token` is missing, unreadable or expires within `marginSeconds`. */
export function needsRefresh(token: string | undefined, nowSeconds: number, marginSeconds = 60): boolean {
  if (!token) return true;
  const exp = readClaims(token)?.exp;
  return typeof exp !== 'number' || exp - marginSeconds <= nowSeconds;
}

// PKCE for the email flows: the link in a confirmation or recovery email ends in a code that only
// this browser (holding the verifier in an HttpOnly cookie) can exchange for a session.

import { createHash, randomBytes } from 'node:crypto';

export function newVerifier(): string {
  return randomBytes(32).toString('base64url');
}

export function challengeOf(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** What the PKCE cookie holds: the verifier and where to go once the code is exchanged. */
export interface PkceState {
  v: string;
  next: string;
}

export function encodePkce(state: PkceState): string {
  return JSON.stringify(state);
}

export function decodePkce(raw: string | undefined): PkceState | null {
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<PkceState>;
    return typeof value.v === 'string' && typeof value.next === 'string' ? { v: value.v, next: value.next } : null;
  } catch {
    return null;
  }
}

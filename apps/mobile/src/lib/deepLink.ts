// `posey://` links: auth's emails lead here. `posey://auth-callback#access_token=…` is where
// auth's `GET /verify` redirects with the session (the SDK's `sessionFromUrl` takes it);
// `posey://auth-callback?token_hash=…&type=…` carries a token the app verifies itself; an error
// comes back in the fragment. A `server` parameter names which of the person's servers it is for.

import type { OtpType } from '@posey/sdk';

export const SCHEME = 'posey';
/** The redirect_to the app asks auth's emails to lead to (allowed by AUTH_REDIRECT_URLS). */
export const AUTH_CALLBACK = `${SCHEME}://auth-callback`;

export type DeepLink =
  | { kind: 'session'; url: string; server: string | null }
  | { kind: 'token_hash'; tokenHash: string; type: OtpType; server: string | null }
  | { kind: 'error'; message: string }
  | { kind: 'open'; screen: 'chat' | 'reminders' | 'notifications' | 'memory'; id: string | null };

const OTP_TYPES = new Set<OtpType>(['signup', 'magiclink', 'recovery', 'invite', 'email_change', 'email']);
const SCREENS = new Set(['chat', 'reminders', 'notifications', 'memory']);

/** What a `posey://` URL asks for, or null when it is not one of the app's. */
export function parseDeepLink(raw: string): DeepLink | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== `${SCHEME}:`) return null;
  // `posey://auth-callback` parses with the host `auth-callback`; `posey:auth-callback` with a path.
  const target = (url.host || url.pathname.replace(/^\/+/, '')).split('/')[0] ?? '';
  const rest = (url.host ? url.pathname : url.pathname.replace(/^\/*[^/]*/, '')).replace(/^\/+/, '');
  const fragment = new URLSearchParams(url.hash.replace(/^#/, ''));
  const server = url.searchParams.get('server');
  if (target === 'auth-callback') {
    const error = fragment.get('error_description') ?? fragment.get('error') ?? url.searchParams.get('error_description');
    if (error) return { kind: 'error', message: error };
    if (fragment.get('access_token')) return { kind: 'session', url: raw, server };
    const tokenHash = url.searchParams.get('token_hash');
    const type = url.searchParams.get('type') as OtpType | null;
    if (tokenHash && type && OTP_TYPES.has(type)) return { kind: 'token_hash', tokenHash, type, server };
    return { kind: 'error', message: 'The link carries no sign-in.' };
  }
  if (SCREENS.has(target)) {
    return { kind: 'open', screen: target as 'chat', id: rest ? decodeURIComponent(rest.split('/')[0] ?? '') || null : null };
  }
  return null;
}

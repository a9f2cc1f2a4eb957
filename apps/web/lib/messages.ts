// What the auth pages say for an error or notice code in their query. Codes, not text, travel in
// URLs, so no one can make these pages say something of their choosing.

const ERRORS: Record<string, string> = {
  invalid_credentials: 'That email and password do not match an account.',
  email_not_confirmed: 'Confirm your email address first: follow the link or enter the code we sent.',
  weak_password: 'That password is too short.',
  password_mismatch: 'The two passwords differ.',
  validation_failed: 'Check what you entered: something is missing or not valid.',
  otp_expired: 'That code or link has expired or was already used. Ask for a new one.',
  over_request_rate_limit: 'Too many attempts. Wait a minute and try again.',
  over_email_send_rate_limit: 'Too many emails to that address. Wait a while and try again.',
  signup_disabled: 'New accounts on this Posey are by invitation: ask its owner for an invite.',
  invite_invalid: 'This invite link has expired, was already used or was withdrawn. Ask the person who invited you for a new one.',
  user_already_exists: 'An account with that address exists. Sign in instead.',
  email_exists: 'An account with that address exists.',
  user_banned: 'This account is disabled.',
  flow_state_not_found: 'That link was started in another browser. Sign in here instead.',
  auth_unreachable: 'The sign-in service cannot be reached. Try again shortly.',
  session_not_found: 'Your session has ended. Sign in again.',
};

const NOTICES: Record<string, string> = {
  signed_out: 'You are signed out.',
  session_ended: 'Your session ended. Sign in again.',
  confirmed_elsewhere: 'Your email is confirmed. Sign in to continue.',
  password_changed: 'Your password is changed. Other devices were signed out.',
  sent_again: 'We sent the email again. The newest link and code are the ones that work.',
};

export function errorMessage(code: string | undefined): string | null {
  if (!code) return null;
  return ERRORS[code] ?? `Something went wrong (${code.slice(0, 40)}). Try again.`;
}

export function noticeMessage(code: string | undefined): string | null {
  return code ? (NOTICES[code] ?? null) : null;
}

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** One string per query key. */
export async function query(searchParams: SearchParams): Promise<Record<string, string | undefined>> {
  const raw = await searchParams;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
}

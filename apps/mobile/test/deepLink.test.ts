// `posey://` links from auth's emails and elsewhere.

import { parseDeepLink } from '../src/lib/deepLink';

it('takes a session from the fragment auth redirects with', () => {
  const url = 'posey://auth-callback#access_token=a&refresh_token=r&expires_at=1&type=magiclink';
  expect(parseDeepLink(url)).toEqual({ kind: 'session', url, server: null });
  expect(parseDeepLink('posey://auth-callback?server=w#access_token=a&refresh_token=r')).toMatchObject({ kind: 'session', server: 'w' });
});

it('takes a token hash to verify', () => {
  expect(parseDeepLink('posey://auth-callback?token_hash=abc&type=email')).toEqual({ kind: 'token_hash', tokenHash: 'abc', type: 'email', server: null });
  expect(parseDeepLink('posey://auth-callback?token_hash=abc&type=bogus')).toEqual({ kind: 'error', message: 'The link carries no sign-in.' });
});

it('passes on the error auth sent back', () => {
  expect(parseDeepLink('posey://auth-callback#error=access_denied&error_code=otp_expired&error_description=Email+link+is+invalid+or+has+expired')).toEqual({
    kind: 'error',
    message: 'Email link is invalid or has expired',
  });
});

it('opens a screen', () => {
  expect(parseDeepLink('posey://chat/0b7f')).toEqual({ kind: 'open', screen: 'chat', id: '0b7f' });
  expect(parseDeepLink('posey://reminders')).toEqual({ kind: 'open', screen: 'reminders', id: null });
});

it('leaves other URLs alone', () => {
  expect(parseDeepLink('https://example.org/auth-callback#access_token=a')).toBeNull();
  expect(parseDeepLink('posey://elsewhere')).toBeNull();
  expect(parseDeepLink('not a url')).toBeNull();
});

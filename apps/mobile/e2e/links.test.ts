// `posey://` links from auth's emails, against the real auth: the sign-in link the app asks for
// leads (through auth's /verify) to posey://auth-callback with the session, which the app's
// link handling reads and signs in with. Here the URL is taken from auth's redirect, as the
// phone's OS would hand it to the app.

import { Mailbox } from '@posey/testing';
import { expect, inject, it } from 'vitest';

import { connect } from '../src/lib/connection';
import { AUTH_CALLBACK, parseDeepLink } from '../src/lib/deepLink';
import type { KeyValue } from '../src/lib/kv';
import { memorySecureStore } from '../src/lib/secureSession';

function memoryKv(): KeyValue {
  const values = new Map<string, string>();
  return {
    getItem: (k) => Promise.resolve(values.get(k) ?? null),
    setItem: (k, v) => Promise.resolve(void values.set(k, v)),
    removeItem: (k) => Promise.resolve(void values.delete(k)),
  };
}

it('signs in through the emailed link, which leads back to the app', async () => {
  const { authUrl, agentsUrl, cronUrl, email, maildir } = inject('e2e');
  const connection = connect({ id: 'home', name: 'Home', authUrl, agentsUrl, cronUrl }, { secure: memorySecureStore(), kv: memoryKv() });
  const box = new Mailbox(maildir);
  const before = new Set(box.allFor(email).map((m) => m.path));
  await connection.auth.signInWithOtp({ email, createUser: false, redirectTo: AUTH_CALLBACK });
  let link: string | null = null;
  await expect
    .poll(
      () => {
        link = box.allFor(email).find((m) => !before.has(m.path) && m.verifyLink)?.verifyLink ?? null;
        return link;
      },
      { timeout: 20_000 },
    )
    .not.toBeNull();
  const followed = await fetch(link as unknown as string, { redirect: 'manual' });
  const location = followed.headers.get('location') ?? '';
  // Compared without the fragment, which holds the session.
  expect(location.split('#')[0]).toBe(AUTH_CALLBACK);
  const parsed = parseDeepLink(location);
  expect(parsed?.kind).toBe('session');
  if (parsed?.kind !== 'session') return;
  const session = await connection.auth.sessionFromUrl(parsed.url);
  expect(session.user.email).toBe(email);
  expect(await connection.auth.accessToken()).toBe(session.access_token);
});

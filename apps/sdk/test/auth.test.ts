// The auth client against the real auth service of a running posey up: signing up and
// confirming by email (code and link), signing in, the person's sessions, signing out.

import { describe, expect, it } from 'vitest';

import { readMail, uniqueEmail } from '../../testing/posey.js';
import {
  type AuthEvent,
  type CookieJar,
  type CookieOptions,
  CookieStorage,
  MemoryStorage,
  PoseyError,
} from '../src/index.js';
import { PASSWORD, authClient, newPerson, posey } from './support.js';

/** What `promise` rejected with, failing when it resolved. */
async function rejection(promise: Promise<unknown>): Promise<PoseyError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof PoseyError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('signing up', () => {
  it('needs the emailed code before a password sign-in works', async () => {
    const auth = authClient();
    const email = uniqueEmail();
    const events: AuthEvent[] = [];
    auth.onAuthStateChange((event) => events.push(event));

    const { user, session } = await auth.signUp({ email, password: PASSWORD, data: { name: 'Ada' } });
    expect(session).toBeNull();
    expect(user.email).toBe(email);
    expect(user.email_confirmed_at ?? null).toBeNull();
    expect(user.user_metadata).toEqual({ name: 'Ada' });

    const early = await rejection(auth.signInWithPassword({ email, password: PASSWORD }));
    expect(early).toMatchObject({ status: 400, code: 'email_not_confirmed', message: 'Email not confirmed' });

    const mail = await readMail(email);
    expect(mail.subject).toBe('Confirm your signup');
    expect(mail.code).toMatch(/^\d{6}$/);
    const confirmed = await auth.verifyOtp({ email, token: mail.code ?? '', type: 'signup' });
    expect(confirmed.user.email_confirmed_at).toBeTypeOf('string');
    expect(await auth.getSession()).toEqual(confirmed);

    const again = authClient();
    const signedIn = await again.signInWithPassword({ email, password: PASSWORD });
    expect(signedIn.user.id).toBe(user.id);
    expect(signedIn.expires_at).toBeGreaterThan(Date.now() / 1000);
    expect((await again.getUser()).email).toBe(email);
    expect(events).toEqual(['SIGNED_IN']);
  });

  it('is confirmed by following the emailed link, which works once', async () => {
    const auth = authClient();
    const email = uniqueEmail();
    await auth.signUp({ email, password: PASSWORD });
    const link = (await readMail(email)).verifyLink;
    expect(link).toContain(`${posey().authUrl}/verify?`);

    const landed = await fetch(link ?? '', { redirect: 'manual' });
    expect(landed.status).toBe(303);
    const session = await auth.sessionFromUrl(landed.headers.get('location') ?? '');
    expect(session.user.email).toBe(email);
    expect(session.user.email_confirmed_at).toBeTypeOf('string');
    expect((await auth.getUser()).id).toBe(session.user.id);

    const second = await fetch(link ?? '', { redirect: 'manual' });
    const refused = await rejection(authClient().sessionFromUrl(second.headers.get('location') ?? ''));
    expect(refused.code).toBe('otp_expired');
  });

  it('reports a wrong password with the server’s code and message', async () => {
    const { email } = await newPerson();
    const error = await rejection(authClient().signInWithPassword({ email, password: 'not the password' }));
    expect(error).toBeInstanceOf(PoseyError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_credentials', message: 'Invalid login credentials' });
  });

  it('refuses a short password, naming the rule', async () => {
    const error = await rejection(authClient().signUp({ email: uniqueEmail(), password: 'short' }));
    expect(error.status).toBe(422);
    expect(error.code).toBe('weak_password');
  });
});

describe('signing in by email code', () => {
  it('signs a confirmed person in with the code from the sign-in email', async () => {
    const { email, session: first } = await newPerson();
    const auth = authClient();
    await auth.signInWithOtp({ email, createUser: false });
    const mail = await readMail(email);
    expect(mail.subject).toBe('Your sign-in link');
    const session = await auth.verifyOtp({ email, token: mail.code ?? '', type: 'email' });
    expect(session.user.id).toBe(first.user.id);
    expect(session.refresh_token).not.toBe(first.refresh_token);
  });

  it('refuses a wrong code', async () => {
    const { email } = await newPerson();
    const auth = authClient();
    await auth.signInWithOtp({ email });
    const mail = await readMail(email);
    const wrong = mail.code === '000000' ? '111111' : '000000';
    const error = await rejection(auth.verifyOtp({ email, token: wrong, type: 'email' }));
    expect(error).toMatchObject({ status: 403, code: 'otp_expired' });
    expect(await auth.getSession()).toBeNull();
  });
});

describe('sessions', () => {
  it('lists the person’s devices and signs one out', async () => {
    const { auth: laptop, email } = await newPerson();
    const phone = authClient();
    await phone.signInWithPassword({ email, password: PASSWORD });

    const listed = await laptop.listSessions();
    expect(listed).toHaveLength(2);
    const current = listed.filter((s) => s.current);
    expect(current).toHaveLength(1);
    const other = listed.find((s) => !s.current);
    expect(other?.user_agent).toBeTypeOf('string');

    await laptop.revokeSession(other?.id ?? '');
    expect((await laptop.listSessions()).map((s) => s.id)).toEqual(current.map((s) => s.id));
    // The phone's tokens are refused now, and so is its refresh: it is signed out.
    const refused = await rejection(phone.getUser());
    expect(refused.status).toBe(403);
    const events: AuthEvent[] = [];
    phone.onAuthStateChange((e) => events.push(e));
    await expect(phone.refreshSession()).rejects.toBeInstanceOf(PoseyError);
    expect(await phone.getSession()).toBeNull();
    expect(events).toEqual(['SIGNED_OUT']);

    const unknown = await rejection(laptop.revokeSession('00000000-0000-0000-0000-000000000000'));
    expect(unknown).toMatchObject({ status: 404, code: 'session_not_found' });
  });

  it('signs out this device only, and its refresh token is dead afterwards', async () => {
    const storage = new MemoryStorage();
    const { auth, email } = await newPerson(authClient({ storage }));
    const other = authClient();
    await other.signInWithPassword({ email, password: PASSWORD });
    const before = await auth.getSession();

    await auth.signOut('local');
    expect(await auth.getSession()).toBeNull();
    expect(storage.get('posey.auth.session')).toBeNull();

    // The old session, put back by hand, cannot be refreshed: auth ended it.
    const replay = authClient();
    await replay.setSession(before!);
    await expect(replay.refreshSession()).rejects.toMatchObject({ status: 400 });
    // The other device is still signed in.
    expect((await other.getUser()).email).toBe(email);
  });

  it('changes the password, ending the person’s other sessions', async () => {
    const { auth, email } = await newPerson();
    const other = authClient();
    await other.signInWithPassword({ email, password: PASSWORD });
    const events: AuthEvent[] = [];
    auth.onAuthStateChange((e) => events.push(e));

    const user = await auth.updateUser({ password: 'a new and longer password', data: { theme: 'dark' } });
    expect(user.user_metadata).toEqual({ theme: 'dark' });
    expect((await auth.getSession())?.user.user_metadata).toEqual({ theme: 'dark' });
    expect(events).toEqual(['USER_UPDATED']);

    await expect(other.getUser()).rejects.toMatchObject({ status: 403 });
    await expect(authClient().signInWithPassword({ email, password: PASSWORD })).rejects.toMatchObject({
      code: 'invalid_credentials',
    });
    await authClient().signInWithPassword({ email, password: 'a new and longer password' });
  });
});

describe('CookieStorage', () => {
  it('keeps the session in a server-side cookie jar, each cookie small enough for a browser', async () => {
    const cookies = new Map<string, { value: string; options: CookieOptions }>();
    const jar: CookieJar = {
      get: (name) => cookies.get(name)?.value,
      set: (name, value, options) => cookies.set(name, { value, options }),
      delete: (name) => cookies.delete(name),
    };
    const { auth, session } = await newPerson(authClient({ storage: new CookieStorage(jar) }));
    expect(cookies.size).toBeGreaterThan(0);
    for (const [name, { value, options }] of cookies) {
      expect(`${name}=${encodeURIComponent(value)}`.length, name).toBeLessThan(4096);
      expect(options).toMatchObject({ httpOnly: true, secure: true, sameSite: 'lax', path: '/' });
    }

    // A later request with the same cookies (a new client on the same jar) is signed in.
    const later = authClient({ storage: new CookieStorage(jar) });
    expect(await later.getSession()).toEqual(session);
    expect((await later.getUser()).id).toBe(session.user.id);

    await auth.signOut();
    expect(cookies.size).toBe(0);
  });
});

// What the tests share: the running posey's URLs, accounts made the way a person makes them
// (sign up, confirm with the emailed code), and a fetch that counts what it sends.

import { inject } from 'vitest';

import { readMail, uniqueEmail } from '../../testing/posey.js';
import { AuthClient, MemoryStorage, type Session, type Storage } from '../src/index.js';

export const posey = () => inject('posey');

export const PASSWORD = 'correct horse battery staple';

/** A fetch that records each request's method and URL, then sends it unchanged. */
export function countingFetch(): { fetch: typeof fetch; calls: { method: string; url: string }[] } {
  const calls: { method: string; url: string }[] = [];
  const counted: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : input instanceof URL ? input.href : input;
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    calls.push({ method, url });
    return fetch(input, init);
  };
  return { fetch: counted, calls };
}

export function authClient(options: { storage?: Storage; fetch?: typeof fetch } = {}): AuthClient {
  return new AuthClient({ url: posey().authUrl, storage: options.storage ?? new MemoryStorage(), ...options });
}

/** A new person, signed up and confirmed with the code from their email, signed in on `auth`. */
export async function newPerson(auth: AuthClient = authClient()): Promise<{
  auth: AuthClient;
  email: string;
  session: Session;
}> {
  const email = uniqueEmail();
  await auth.signUp({ email, password: PASSWORD });
  const mail = await readMail(email);
  if (!mail.code) throw new Error(`no code in the confirmation email:\n${mail.body}`);
  const session = await auth.verifyOtp({ email, token: mail.code, type: 'signup' });
  return { auth, email, session };
}

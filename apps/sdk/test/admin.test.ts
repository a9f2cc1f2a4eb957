// The typed auth API (types generated from auth's /openapi.json) with the owner's admin token.

import { describe, expect, inject, it } from 'vitest';

import { PoseyError, createAuthApi, unwrap } from '../src/index.js';
import { authClient, newPerson, posey } from './support.js';

describe('auth admin API', () => {
  it('lets the owner list the people, and refuses anyone else', async () => {
    const { email } = await newPerson();
    const owner = authClient();
    await owner.signInWithPassword(inject('owner'));

    const admin = createAuthApi({ url: posey().authUrl, token: () => owner.accessToken() });
    const { users } = await unwrap(admin.GET('/admin/users', { params: { query: { per_page: 1000 } } }));
    expect(users.map((u) => u.email)).toEqual(expect.arrayContaining([email, inject('owner').email]));

    const person = await newPerson();
    const asPerson = createAuthApi({ url: posey().authUrl, token: () => person.auth.accessToken() });
    const refused = await unwrap(asPerson.GET('/admin/users')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PoseyError);
    expect(refused).toMatchObject({ status: 403, code: 'not_admin' });
  });
});

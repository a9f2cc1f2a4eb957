// The harness itself: a real `posey up` on free ports answers, its database is the one the
// services write to (read back with queryDatabase), and stop() leaves nothing behind.

import { existsSync } from 'node:fs';

import { expect, test } from 'vitest';

import { queryDatabase, startPosey, uniqueEmail } from '../posey.js';

test('startPosey runs every service on a fresh database and stop() removes it', async () => {
  const posey = await startPosey();
  let stopped = false;
  try {
    for (const url of [posey.authUrl, posey.agentsUrl, posey.gatewayUrl, posey.cronUrl]) {
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status, `${url}/readyz`).toBe(200);
    }

    const email = uniqueEmail('harness');
    const signup = await fetch(`${posey.authUrl}/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'a long enough password 1' }),
    });
    expect(signup.status, await signup.clone().text()).toBe(200);
    const rows = await queryDatabase<{ email: string }>(posey.databaseUrl, 'select email from auth.users where email = $1', [email]);
    expect(rows.map((row) => row.email)).toEqual([email]);

    await posey.stop();
    stopped = true;
    expect(existsSync(posey.dataDir), posey.dataDir).toBe(false);
    await expect(queryDatabase(posey.databaseUrl, 'select 1')).rejects.toThrow(/does not exist/);
  } finally {
    if (!stopped) await posey.stop();
  }
});

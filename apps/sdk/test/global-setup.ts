// Starts one real `posey up` (apps/testing) for the run, makes its owner (the install's first
// account, which auth confirms at once and makes an admin) so that every test's sign-up is an
// ordinary one, and hands the URLs and the owner to the tests. Stops posey and drops its
// database afterwards, whether the tests passed or not.

import { randomBytes } from 'node:crypto';

import type { TestProject } from 'vitest/node';

import { type PoseyInfo, startPosey } from '../../testing/posey.js';
import { AuthClient } from '../src/index.js';

export interface Owner {
  email: string;
  password: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    posey: PoseyInfo;
    owner: Owner;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const posey = await startPosey();
  try {
    const owner = { email: 'owner@example.test', password: randomBytes(12).toString('hex') };
    const { session } = await new AuthClient({ url: posey.authUrl }).signUp(owner);
    if (!session) throw new Error('the first account was not signed in at once as the owner');
    project.provide('posey', posey.info);
    project.provide('owner', owner);
  } catch (e) {
    await posey.stop();
    throw e;
  }
  return async () => {
    const exit = posey.exitCode();
    await posey.stop();
    // posey exiting by itself during the run is a failure the tests may not have named.
    if (exit !== null) throw new Error(`posey exited (${exit}) during the tests:\n${posey.logTail()}`);
  };
}

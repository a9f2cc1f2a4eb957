// Starts one real `posey up` (apps/testing) for the run and hands its URLs to the tests;
// stops it and drops its database afterwards, whether the tests passed or not.

import type { TestProject } from 'vitest/node';

import { type PoseyInfo, startPosey } from '../../testing/posey.js';

declare module 'vitest' {
  export interface ProvidedContext {
    posey: PoseyInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const posey = await startPosey();
  project.provide('posey', posey.info);
  return async () => {
    const exit = posey.exitCode();
    await posey.stop();
    // posey exiting by itself during the run is a failure the tests may not have named.
    if (exit !== null) throw new Error(`posey exited (${exit}) during the tests:\n${posey.logTail()}`);
  };
}

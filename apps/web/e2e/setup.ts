// Starts `posey up` (the shared harness: free ports, a fresh database, the test model, email to
// the test Maildir) serving this app's standalone build, as it does for a person: the launcher
// starts the web server, tells it where the services are and points auth's links at it.

import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { startPosey, uniqueEmail, type RunningPosey } from '@posey/testing';
import type { TestProject } from 'vitest/node';

export interface E2eInfo {
  webUrl: string;
  authUrl: string;
  agentsUrl: string;
  cronUrl: string;
  maildir: string;
  /** The run's database, for checking what a service stored (`queryDatabase`). */
  databaseUrl: string;
  /** The public half of the VAPID key cron was given (base64url, uncompressed P-256 point). */
  vapidPublicKey: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2eInfo;
  }
}

const root = join(import.meta.dirname, '..');
export const ARTIFACTS = join(root, 'test-artifacts');
/** What `npm run build` leaves and `scripts/up` points POSEY_WEB_DIR at. */
const WEB_DIR = join(root, '.next', 'standalone', 'web');

let stack: Stack | null = null;

export interface Stack {
  posey: RunningPosey;
  webUrl: string;
  stop: () => Promise<void>;
}

/**
 * A `posey up` (`env` added to the harness's) serving this app's build. The main suite shares
 * one; a test that needs a fresh install (the first-run test) starts its own.
 */
export async function startStack(env: Record<string, string | undefined> = {}): Promise<Stack> {
  if (!existsSync(join(WEB_DIR, 'server.js'))) throw new Error(`no standalone build at ${WEB_DIR}: run \`npm run build\` first`);
  const posey = await startPosey({
    webDir: WEB_DIR,
    env: {
      // Refresh tokens strictly single-use (no grace for a second presenter): two tabs refreshing
      // at once stay signed in only because the BFF refreshes once for both.
      AUTH_REFRESH_REUSE_INTERVAL: '0',
      // The tests and the benchmark run many turns as one person in a day.
      AGENTS_DAILY_REQUESTS: '1000000',
      AGENTS_DAILY_TOKENS: '1000000000',
      ...env,
    },
  });
  if (!posey.webUrl) {
    await posey.stop();
    throw new Error('posey up did not serve the web app');
  }
  // `localhost`, as a person opens it and as the launcher writes auth's email links (its site URL
  // and PKCE callback); a secure context for the Secure cookies. The server listens on 127.0.0.1.
  const webUrl = posey.webUrl.replace('//127.0.0.1:', '//localhost:');
  return { posey, webUrl, stop: () => posey.stop() };
}

/** A fresh VAPID key for cron: the private scalar as CRON_VAPID_PRIVATE_KEY takes it, and the public point. */
function vapidKey(): { privateKey: string; publicKey: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const { d, x, y } = privateKey.export({ format: 'jwk' });
  if (!d || !x || !y) throw new Error('the generated key has no private scalar or point');
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(x, 'base64url'), Buffer.from(y, 'base64url')]);
  return { privateKey: d, publicKey: point.toString('base64url') };
}

export async function setup(project: TestProject) {
  if (!existsSync('/usr/bin/chromium')) throw new Error('no /usr/bin/chromium: apt-get install chromium');
  mkdirSync(ARTIFACTS, { recursive: true });
  // Everyone signs up on their own here (the first becomes the owner): the tests are about each
  // person's own data. Invite-only sign-up has its own fresh install in first-run.test.ts.
  const vapid = vapidKey();
  stack = await startStack({
    AUTH_OPEN_SIGNUP: 'true',
    // Web Push on, with pushes allowed to the test's own receiver on 127.0.0.1 (push.test.ts).
    CRON_VAPID_PRIVATE_KEY: vapid.privateKey,
    CRON_VAPID_SUBJECT: 'mailto:owner@example.test',
    CRON_PUSH_ALLOW_INSECURE_LOOPBACK: 'true',
  });
  const { posey, webUrl } = stack;
  // The install's owner made first, so that every person the tests sign up is an ordinary one
  // who confirms their address (the first account would be confirmed and signed in at once).
  const owner = await fetch(`${posey.authUrl}/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: uniqueEmail('owner'), password: 'the owner of this test posey' }),
  });
  const answer = (await owner.json()) as { access_token?: string };
  if (!owner.ok || !answer.access_token) throw new Error(`making the owner failed: ${owner.status} ${JSON.stringify(answer)}`);
  project.provide('e2e', {
    webUrl,
    authUrl: posey.authUrl,
    agentsUrl: posey.agentsUrl,
    cronUrl: posey.cronUrl,
    maildir: posey.maildir,
    databaseUrl: posey.databaseUrl,
    vapidPublicKey: vapid.publicKey,
  });
}

export async function teardown() {
  await stack?.stop();
}

// Starts `posey up` (the shared harness: free ports, a fresh database, the test model, email to
// the test Maildir) and this app's standalone server pointed at it; the tests get their URLs.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { freePorts, startPosey, uniqueEmail, type RunningPosey } from '@posey/testing';
import type { TestProject } from 'vitest/node';

export interface E2eInfo {
  webUrl: string;
  authUrl: string;
  agentsUrl: string;
  cronUrl: string;
  maildir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2eInfo;
  }
}

const root = join(import.meta.dirname, '..');
export const ARTIFACTS = join(root, 'test-artifacts');

let stack: Stack | null = null;

async function waitFor(url: string, timeoutMs: number, alive: () => boolean) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`the web server exited before ${url} answered`);
    try {
      const r = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
      await r.body?.cancel();
      if (r.status < 500) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface Stack {
  posey: RunningPosey;
  webUrl: string;
  stop: () => Promise<void>;
}

/**
 * A `posey up` (`env` added to the harness's) and this app's standalone server pointed at it.
 * The main suite shares one; a test that needs a fresh install (the first-run test) starts its own.
 */
export async function startStack(env: Record<string, string | undefined> = {}): Promise<Stack> {
  const server = join(root, '.next', 'standalone', 'web', 'server.js');
  if (!existsSync(server)) throw new Error(`no standalone build at ${server}: run \`npm run build\` first`);
  const [port] = await freePorts(1);
  // `localhost`, not 127.0.0.1: the address a person opens, and a secure context for Secure cookies.
  const webUrl = `http://localhost:${port}`;
  const posey = await startPosey({
    env: {
      // Auth's email links end at this app's callback, its invite links at its /invite page.
      AUTH_SITE_URL: webUrl,
      AUTH_REDIRECT_URLS: `${webUrl}/auth/callback`,
      // Refresh tokens strictly single-use (no grace for a second presenter): two tabs refreshing
      // at once stay signed in only because the BFF refreshes once for both.
      AUTH_REFRESH_REUSE_INTERVAL: '0',
      // The tests and the benchmark run many turns as one person in a day.
      AGENTS_DAILY_REQUESTS: '1000000',
      AGENTS_DAILY_TOKENS: '1000000000',
      ...env,
    },
  });
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOSTNAME: '127.0.0.1',
    AUTH_URL: posey.authUrl,
    AGENTS_URL: posey.agentsUrl,
    CRON_URL: posey.cronUrl,
    GATEWAY_URL: posey.gatewayUrl,
    NODE_ENV: 'production',
  };
  const child = spawn(process.execPath, [server], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = false;
  child.on('exit', () => (exited = true));
  const echo = process.env.TEST_LOG === '1';
  child.stdout?.on('data', (b: Buffer) => echo && process.stderr.write(`[web] ${b}`));
  child.stderr?.on('data', (b: Buffer) => process.stderr.write(`[web] ${b}`));
  const stop = async () => {
    if (child.exitCode === null) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await posey.stop();
  };
  try {
    await waitFor(`http://127.0.0.1:${port}/sign-in`, 60_000, () => !exited);
  } catch (e) {
    await stop();
    throw e;
  }
  return { posey, webUrl, stop };
}

export async function setup(project: TestProject) {
  if (!existsSync('/usr/bin/chromium')) throw new Error('no /usr/bin/chromium: apt-get install chromium');
  mkdirSync(ARTIFACTS, { recursive: true });
  // Everyone signs up on their own here (the first becomes the owner): the tests are about each
  // person's own data. Invite-only sign-up has its own fresh install in first-run.test.ts.
  stack = await startStack({ AUTH_OPEN_SIGNUP: 'true' });
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
  project.provide('e2e', { webUrl, authUrl: posey.authUrl, agentsUrl: posey.agentsUrl, cronUrl: posey.cronUrl, maildir: posey.maildir });
}

export async function teardown() {
  await stack?.stop();
}

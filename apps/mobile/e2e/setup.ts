// Starts `posey up` (the shared harness: free ports, a fresh database, the test model, email to
// the test Maildir), then makes the install's owner and one ordinary person, confirmed through
// the link auth emailed, for the tests to sign in as. The browser test serves the web export
// beside it (e2e/serve.ts).

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { readMail, startPosey, uniqueEmail, type RunningPosey } from '@posey/testing';
import type { TestProject } from 'vitest/node';


export interface E2eInfo {
  authUrl: string;
  agentsUrl: string;
  cronUrl: string;
  maildir: string;
  databaseUrl: string;
  email: string;
  password: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2eInfo;
  }
}

const root = join(import.meta.dirname, '..');
export const ARTIFACTS = join(root, 'test-artifacts');
/** What `npm run build` exports. */
export const DIST = join(root, 'dist');
const PASSWORD = 'correct horse battery staple';

let posey: RunningPosey | null = null;

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

export async function setup(project: TestProject) {
  if (!existsSync('/usr/bin/chromium')) throw new Error('no /usr/bin/chromium: apt-get install chromium');
  if (!existsSync(join(DIST, 'index.html'))) throw new Error(`no web export in ${DIST}: run \`npm run build\` first`);
  mkdirSync(ARTIFACTS, { recursive: true });
  posey = await startPosey({
    env: {
      AUTH_OPEN_SIGNUP: 'true',
      // The app asks auth's emails to lead back to it.
      AUTH_REDIRECT_URLS: 'posey://auth-callback',
      AGENTS_DAILY_REQUESTS: '1000000',
      AGENTS_DAILY_TOKENS: '1000000000',
    },
  });
  // The owner first, so that the person below is an ordinary one who confirms their address.
  const owner = await post(`${posey.authUrl}/signup`, { email: uniqueEmail('owner'), password: 'the owner of this test posey' });
  if (typeof owner.access_token !== 'string') throw new Error('the owner was not signed in at once');
  const email = uniqueEmail('mobile');
  await post(`${posey.authUrl}/signup`, { email, password: PASSWORD, data: { name: 'Ada' } });
  const mail = await readMail(email, { maildir: posey.maildir, timeoutMs: 20_000 });
  if (!mail.verifyLink) throw new Error(`no confirmation link in: ${mail.body}`);
  // Following the link confirms the address (it then redirects to the site, not needed here).
  const confirmed = await fetch(mail.verifyLink, { redirect: 'manual' });
  if (confirmed.status >= 400) throw new Error(`confirming failed: ${confirmed.status}`);
  project.provide('e2e', { authUrl: posey.authUrl, agentsUrl: posey.agentsUrl, cronUrl: posey.cronUrl, maildir: posey.maildir, databaseUrl: posey.databaseUrl, email, password: PASSWORD });
}

export async function teardown() {
  await posey?.stop();
}

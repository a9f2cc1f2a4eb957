// First run on a fresh install without SMTP: the first sign-up becomes the owner at once (no
// email round trip), sign-up is then by invitation, the owner invites people through the settings
// (the link shown to pass on), an invitee joins from the link in another browser, an ordinary
// person sees no admin section and auth refuses them the admin routes, and a used or withdrawn
// invite link says so. Its own posey: the shared one has its owner and open sign-up.

import { uniqueEmail } from '@posey/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PASSWORD, launch, screenshot, serious } from './browser';
import { startStack, type Stack } from './setup';

let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];

async function open(path: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: stack.webUrl, viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(path);
  await page.waitForSelector('body[data-hydrated]');
  return page;
}

/** The owner invites `email` in the settings and reads the link shown (no SMTP here). */
async function invite(owner: Page, email: string): Promise<string> {
  await owner.goto('/settings');
  await owner.waitForSelector('body[data-hydrated]');
  await owner.getByPlaceholder('Email to invite').fill(email);
  await owner.getByRole('button', { name: 'Invite', exact: true }).click();
  const link = await owner.getByLabel('Invite link').inputValue();
  expect(link.startsWith(`${stack.webUrl}/invite?`), link).toBe(true);
  await expect.poll(() => owner.locator(`[data-testid="invite"][data-email="${email}"]`).count()).toBe(1);
  return link;
}

/** Opens an invite link in a browser of its own and sets a password there. */
async function accept(link: string, name: string): Promise<Page> {
  const page = await open(link.slice(stack.webUrl.length));
  await page.getByPlaceholder('Your name').fill(name);
  await page.getByPlaceholder('Password (8 characters or more)').fill(PASSWORD);
  await page.getByPlaceholder('Password again').fill(PASSWORD);
  await page.getByRole('button', { name: 'Join' }).click();
  return page;
}

describe('first run', () => {
  let owner: Page;

  beforeAll(async () => {
    // No SMTP and sign-up as it is by default: what a new install looks like.
    stack = await startStack({ SMTP_URL: undefined, AUTH_OPEN_SIGNUP: undefined });
    browser = await launch();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await stack?.stop();
  });

  it('makes the first sign-up the owner, signed in without an email', async () => {
    owner = await open('/sign-up');
    await expect.poll(() => owner.getByRole('heading', { name: 'Create the owner account' }).count()).toBe(1);
    expect(await serious(owner)).toEqual([]);
    await owner.getByPlaceholder('Your name').fill('owner');
    await owner.getByPlaceholder('Email').fill(uniqueEmail('owner'));
    await owner.getByPlaceholder('Password (8 characters or more)').fill(PASSWORD);
    await owner.getByPlaceholder('Password again').fill(PASSWORD);
    await owner.getByRole('button', { name: 'Create the account' }).click();
    await owner.waitForURL(/\/chat$/);

    // After the owner, sign-up is by invitation.
    const stranger = await open('/sign-up');
    expect(await stranger.getByRole('heading', { name: 'Sign-up is by invitation' }).count()).toBe(1);
    expect(await stranger.getByRole('button', { name: 'Create the account' }).count()).toBe(0);
    expect(await serious(stranger)).toEqual([]);
  });

  it('shows the owner how the install is set up', async () => {
    await owner.goto('/settings');
    const status = owner.getByTestId('install-status');
    await status.waitFor();
    const email = await owner.getByTestId('status-email').innerText();
    expect(email).toMatch(/not configured/);
    expect(email).toMatch(/invite links are shown here/);
    // What the page says is what cron says (read through the BFF with the owner's token).
    const cron = await owner.evaluate(() => fetch('/api/cron/v1/status').then((r) => r.json() as Promise<{ web_push: { configured: boolean } }>));
    const push = await owner.getByTestId('status-web-push').innerText();
    expect(push).toMatch(cron.web_push.configured ? /\bconfigured\b(?<!not configured)/ : /not configured/);
    const model = await owner.evaluate(() => fetch('/api/agents/v1/me/model').then((r) => r.json() as Promise<{ using: string }>));
    expect(model.using).not.toBe('');
    expect((await owner.getByTestId('model-in-use').innerText()).trim()).toBe(model.using);
    expect(await owner.getByTestId('status-sign-up').innerText()).toMatch(/by invitation only/);
    // posey up takes scheduled backups into its data dir unless told otherwise.
    const backups = await owner.evaluate(() =>
      fetch('/api/cron/v1/status').then((r) => r.json() as Promise<{ backups: { configured: boolean; dir: string } }>),
    );
    expect(backups.backups.configured).toBe(true);
    const row = await owner.getByTestId('status-backups').innerText();
    expect(row).toMatch(/\bconfigured\b(?<!not configured)/);
    expect(row).toContain(backups.backups.dir);
    expect(row).toMatch(/None taken yet|Last: posey-/);
    expect(await serious(owner)).toEqual([]);
    await screenshot(owner, 'settings-owner');
  });

  it('lets an invitee join from the link in another browser; they are no admin', async () => {
    const email = uniqueEmail('invitee');
    const link = await invite(owner, email);
    const invitee = await accept(link, 'invitee');
    await invitee.waitForURL(/\/chat$/);

    await invitee.goto('/settings');
    await invitee.getByRole('heading', { name: 'Devices' }).waitFor();
    expect(await invitee.getByRole('heading', { name: 'This Posey' }).count()).toBe(0);
    expect(await invitee.getByText(`Signed in as ${email}`).count()).toBe(1);
    // Through the BFF with their own token: auth refuses them.
    const statuses = await invitee.evaluate(async () => {
      const get = (path: string, init?: RequestInit) => fetch(path, init).then((r) => r.status);
      return [
        await get('/api/auth/admin/status'),
        await get('/api/auth/admin/invites'),
        await get('/api/auth/invite', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'x@example.test' }) }),
      ];
    });
    expect(statuses).toEqual([403, 403, 403]);
    // Accepted: the invite is no longer pending.
    await owner.goto('/settings');
    await owner.getByTestId('install-status').waitFor();
    expect(await owner.locator(`[data-testid="invite"][data-email="${email}"]`).count()).toBe(0);

    // The link works once.
    const again = await accept(link, 'someone else');
    await again.waitForURL(/\/invite\?.*error=invite_invalid/);
    expect(await again.getByRole('heading', { name: 'This invite cannot be used' }).count()).toBe(1);
  });

  it('says a withdrawn invite link no longer works', async () => {
    const email = uniqueEmail('withdrawn');
    const link = await invite(owner, email);
    owner.once('dialog', (d) => void d.accept());
    await owner.locator(`[data-testid="invite"][data-email="${email}"]`).getByRole('button', { name: 'Withdraw' }).click();
    await expect.poll(() => owner.locator(`[data-testid="invite"][data-email="${email}"]`).count()).toBe(0);

    const page = await accept(link, 'too late');
    await page.waitForURL(/\/invite\?.*error=invite_invalid/);
    expect(await page.getByRole('heading', { name: 'This invite cannot be used' }).count()).toBe(1);
    expect(await page.getByRole('alert').filter({ hasText: 'invite' }).innerText()).toMatch(/expired, was already used or was withdrawn/);
    expect(await serious(page)).toEqual([]);
    await screenshot(page, 'invite-withdrawn');
  });
});

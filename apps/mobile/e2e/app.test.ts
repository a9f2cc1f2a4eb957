// The mobile app's web export in a phone-sized Chromium against a real posey: adding the server,
// signing in with a password and with an emailed code, a chat whose answer streams in, a
// reminder made with the quick line and listed (then arriving as a notification), the recent
// conversations read offline, and no token left anywhere the page's storage keeps.

import { join } from 'node:path';

import { randomUUID } from 'node:crypto';

import { Mailbox, queryDatabase } from '@posey/testing';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { type Served, serveExport } from './serve';
import { ARTIFACTS, DIST } from './setup';

const e2e = () => inject('e2e');
/** The web export, with the services under /auth, /agents and /cron of the same origin. */
let served: Served;
let appUrl: string;
/** The pieces of each chat turn's event stream as they passed the proxy, by turn. */
const turns: Buffer[][] = [];
const PHONE = { width: 390, height: 844 };

let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Every token auth handed the app (from /token answers), to look for where they must not be. */
const tokens = new Set<string>();

async function newPhone(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  context.on('response', async (response) => {
    if (!/\/auth\/(token|verify)\b/.test(response.url()) || response.status() !== 200) return;
    try {
      const body = (await response.json()) as { access_token?: string; refresh_token?: string };
      for (const t of [body.access_token, body.refresh_token]) if (t) tokens.add(t);
    } catch {
      // Not a session.
    }
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return { context, page };
}

async function addServer(page: Page, name: string): Promise<void> {
  await page.goto(appUrl);
  await page.getByLabel('Server name', { exact: true }).fill(name);
  await page.getByLabel('Auth URL', { exact: true }).fill(`${appUrl}/auth`);
  await page.getByLabel('Agents URL', { exact: true }).fill(`${appUrl}/agents`);
  await page.getByLabel('Cron URL', { exact: true }).fill(`${appUrl}/cron`);
  await page.getByRole('button', { name: 'Save server' }).click();
  await page.getByRole('heading', { name: `Sign in to ${name}` }).waitFor();
}

beforeAll(async () => {
  const { authUrl, agentsUrl, cronUrl } = e2e();
  let turn: Buffer[] = [];
  served = await serveExport(DIST, { auth: authUrl, agents: agentsUrl, cron: cronUrl }, (path, chunk) => {
    if (!/^\/agents\/v1\/conversations\/[^/]+\/messages$/.test(path)) return;
    if (turn.length === 0) turns.push(turn);
    turn.push(chunk);
    if (/^event: (done|error)$/m.test(chunk.toString())) turn = [];
  });
  appUrl = served.url;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // As root, in a closed network: no sandbox, nothing fetched in the background.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  ({ context, page } = await newPhone());
});

afterAll(async () => {
  await browser?.close();
  await served?.close();
});

describe('a person on their phone', () => {
  it('adds their home server and signs in with a password', async () => {
    const { email, password } = e2e();
    await addServer(page, 'Home');
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Chats' }).waitFor();
    expect(tokens.size).toBeGreaterThan(0);
  });

  it('chats: the answer streams in as server-sent events and is shown', async () => {
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByLabel('Message', { exact: true }).fill('What time is it?');
    const stream = page.waitForResponse((r) => /\/agents\/v1\/conversations\/[^/]+\/messages$/.test(r.url()) && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Send' }).click();
    const response = await stream;
    expect(response.headers()['content-type']).toMatch(/^text\/event-stream/);
    // The turn's events reached the page in pieces as the server sent them, ending with `done`.
    await expect.poll(() => turns.length).toBe(1);
    await expect.poll(() => /^event: done$/m.test(Buffer.concat(turns[0] ?? []).toString()), { timeout: 60_000 }).toBe(true);
    const events = Buffer.concat(turns[0] ?? []).toString().match(/^event: (\w+)$/gm) ?? [];
    expect(events).toContain('event: text');
    expect(events.at(-1)).toBe('event: done');
    expect(turns[0]?.length).toBeGreaterThan(1);
    // Once the turn is done, the stored conversation is shown: the question and an answer.
    await expect.poll(() => page.getByTestId('assistant-message').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.getByRole('button', { name: 'Send' }).isVisible(), { timeout: 60_000 }).toBe(true);
    expect(await page.getByTestId('user-message').first().innerText()).toContain('What time is it?');
    expect((await page.getByTestId('assistant-message').allInnerTexts()).join('').trim().length).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'chat-phone.png') });
    await page.getByRole('button', { name: 'Back to chats' }).click();
    await expect.poll(() => page.getByRole('link', { name: /What time is it\?/ }).count()).toBeGreaterThan(0);
  });

  it('makes a reminder with the quick line and sees it listed', async () => {
    await page.getByRole('tab', { name: 'Reminders' }).click();
    await page.getByLabel('Remind me', { exact: true }).fill('in 10 minutes call Ada');
    await expect.poll(() => page.getByText('“call Ada” on').count()).toBe(1);
    await page.getByRole('button', { name: 'Add reminder' }).click();
    await expect.poll(() => page.getByTestId('reminder').filter({ hasText: 'call Ada' }).count()).toBe(1);
    // Listed from cron too, not only from the app's memory of what it sent.
    await page.getByRole('tab', { name: 'Memory' }).click();
    await page.getByRole('tab', { name: 'Reminders' }).click();
    await expect.poll(() => page.getByTestId('reminder').filter({ hasText: 'call Ada' }).count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'reminders-phone.png') });
  });

  it('reads its recent conversations while offline', async () => {
    await page.getByRole('tab', { name: 'Chat' }).click();
    await expect.poll(() => page.getByRole('link', { name: /What time is it\?/ }).count()).toBeGreaterThan(0);
    await page.getByRole('link', { name: /What time is it\?/ }).first().click();
    await expect.poll(() => page.getByTestId('assistant-message').count()).toBeGreaterThan(0);
    const online = await page.getByTestId('assistant-message').allInnerTexts();
    await page.getByRole('button', { name: 'Back to chats' }).click();
    await context.setOffline(true);
    try {
      await page.getByRole('tab', { name: 'Reminders' }).click();
      await page.getByRole('tab', { name: 'Chat' }).click();
      await page.getByText(/^Offline: showing your conversations as of/).waitFor();
      await page.getByRole('link', { name: /What time is it\?/ }).first().click();
      await page.getByText(/^Offline: as of/).waitFor();
      expect(await page.getByTestId('assistant-message').allInnerTexts()).toEqual(online);
      await page.screenshot({ path: join(ARTIFACTS, 'offline-phone.png') });
    } finally {
      await context.setOffline(false);
    }
    await page.getByRole('button', { name: 'Back to chats' }).click();
  });

  it('answers what a tool asked to confirm: denies one, approves another', async () => {
    const { databaseUrl } = e2e();
    // No built-in plugin asks, so the actions are stored as a turn that asked would store them
    // (as the web app's test does); the answers are the agents service's own.
    const [conversation] = await queryDatabase<{ id: string; user_id: string }>(databaseUrl, 'SELECT id::text, user_id::text FROM agents.conversations ORDER BY created_at DESC LIMIT 1');
    expect(conversation).toBeTruthy();
    const ask = async (summary: string) => {
      const id = randomUUID();
      await queryDatabase(
        databaseUrl,
        `INSERT INTO agents.pending_actions (id, user_id, conversation_id, plugin, summary, reason, payload, expires_at)
         VALUES ($1, $2, $3, 'time', $4, 'it changes the clock', '{}', now() + interval '1 hour')`,
        [id, conversation?.user_id, conversation?.id, summary],
      );
      return id;
    };
    const status = async (id: string) => (await queryDatabase<{ status: string }>(databaseUrl, 'SELECT status FROM agents.pending_actions WHERE id = $1', [id]))[0]?.status;
    const deny = await ask('set the clock back an hour');
    const approve = await ask('set the clock forward an hour');
    await page.getByRole('tab', { name: 'Reminders' }).click();
    await page.getByRole('tab', { name: 'Chat' }).click();
    const card = (summary: string) => page.getByTestId('confirmation').filter({ hasText: summary });
    await card('set the clock back').getByRole('button', { name: 'Deny' }).click();
    await card('set the clock back').getByText('Denied: it will not happen.').waitFor();
    expect(await status(deny)).toBe('denied');
    await card('set the clock forward').getByRole('button', { name: 'Approve' }).click();
    // The time plugin runs no confirmed action, so the approved one fails; it did run.
    await card('set the clock forward').getByText('Approved, but it failed.').waitFor();
    expect(await status(approve)).toBe('failed');
  });

  it('adds a memory and forgets it', async () => {
    await page.getByRole('tab', { name: 'Memory' }).click();
    await page.getByLabel('Something to remember', { exact: true }).fill('I take my tea without sugar');
    await page.getByRole('button', { name: 'Remember', exact: true }).click();
    const memory = page.getByTestId('memory').filter({ hasText: 'I take my tea without sugar' });
    await expect.poll(() => memory.count()).toBe(1);
    await page.getByRole('tab', { name: 'Reminders' }).click();
    await page.getByRole('tab', { name: 'Memory' }).click();
    await expect.poll(() => memory.count()).toBe(1);
    await memory.getByRole('button', { name: 'Forget I take my tea without sugar' }).click();
    await expect.poll(() => memory.count()).toBe(0);
    await page.getByRole('tab', { name: 'Reminders' }).click();
    await page.getByRole('tab', { name: 'Memory' }).click();
    await page.getByRole('heading', { name: 'Memory' }).waitFor();
    await expect.poll(() => memory.count()).toBe(0);
  });

  it('keeps no token in what the page stores (the session is in memory on the web)', async () => {
    expect(tokens.size).toBeGreaterThan(0);
    const stored = await page.evaluate(async () => {
      const all: string[] = [document.cookie];
      for (const s of [localStorage, sessionStorage]) for (let i = 0; i < s.length; i++) all.push(`${s.key(i)}=${s.getItem(s.key(i) ?? '')}`);
      const dbs = (await indexedDB.databases?.()) ?? [];
      all.push(...dbs.map((d) => d.name ?? ''));
      return all.join('\n');
    });
    for (const token of tokens) expect(stored.includes(token), 'a token in the page storage').toBe(false);
    expect(stored).not.toMatch(/refresh_token|access_token/);
    // The app did keep things there (servers, the offline cache), only no token.
    expect(stored).toContain('posey.servers');
    expect(stored).toContain('What time is it?');
  });

  it('signs in on a second phone with a code emailed to them', async () => {
    const { email, maildir } = e2e();
    const phone = await newPhone();
    try {
      await addServer(phone.page, 'Work');
      const box = new Mailbox(maildir);
      const before = new Set(box.allFor(email).map((m) => m.path));
      await phone.page.getByLabel('Email', { exact: true }).fill(email);
      await phone.page.getByRole('button', { name: 'Email me a code instead' }).click();
      await phone.page.getByRole('button', { name: 'Email me a code', exact: true }).click();
      await phone.page.getByLabel('Code', { exact: true }).waitFor();
      let code: string | null = null;
      await expect
        .poll(
          () => {
            code = box.allFor(email).find((m) => !before.has(m.path) && m.code)?.code ?? null;
            return code;
          },
          { timeout: 20_000 },
        )
        .not.toBeNull();
      await phone.page.getByLabel('Code', { exact: true }).fill(code as unknown as string);
      await phone.page.getByRole('button', { name: 'Sign in with the code' }).click();
      await phone.page.getByRole('heading', { name: 'Chats' }).waitFor();
      // The same person: the conversation from the first phone is there.
      await expect.poll(() => phone.page.getByRole('link', { name: /What time is it\?/ }).count()).toBeGreaterThan(0);
    } finally {
      await phone.context.close();
    }
  });

  it('adds a work server beside home, each with its own session', async () => {
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Add a server' }).click();
    await page.getByLabel('Server name', { exact: true }).fill('Work');
    await page.getByLabel('Auth URL', { exact: true }).fill(`${appUrl}/auth`);
    await page.getByLabel('Agents URL', { exact: true }).fill(`${appUrl}/agents`);
    await page.getByLabel('Cron URL', { exact: true }).fill(`${appUrl}/cron`);
    await page.getByRole('button', { name: 'Save server' }).click();
    // Not signed in there yet: home's session is home's alone.
    await page.getByRole('heading', { name: 'Sign in to Work' }).waitFor();
    await page.getByRole('button', { name: 'Use Home' }).click();
    // Back at home, still signed in (on the Settings tab, where the person was).
    await page.getByText(`Signed in to Home as ${e2e().email}`).waitFor();
    expect(await page.getByTestId('server').allInnerTexts()).toEqual([expect.stringContaining('Home (in use)'), expect.stringContaining('Work')]);
  });

  it('gets the reminder as a notification when it falls due', async () => {
    await page.getByRole('tab', { name: 'Reminders' }).click();
    await page.getByLabel('Remind me', { exact: true }).fill('in 1 minute stretch your legs');
    await page.getByRole('button', { name: 'Add reminder' }).click();
    await expect.poll(() => page.getByTestId('reminder').filter({ hasText: 'stretch your legs' }).count()).toBe(1);
    await page.getByRole('tab', { name: /^Alerts/ }).click();
    await expect
      .poll(
        async () => {
          // Pressing the tab again reloads the list (the screen also checks every 30 s).
          await page.getByRole('tab', { name: 'Memory' }).click();
          await page.getByRole('tab', { name: /^Alerts/ }).click();
          return page.getByTestId('notification').filter({ hasText: 'stretch your legs' }).count();
        },
        { timeout: 120_000, interval: 5_000 },
      )
      .toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'notification-phone.png') });
  });
});

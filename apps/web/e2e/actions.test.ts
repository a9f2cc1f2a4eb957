// Actions a tool asked the person to confirm, answered in the browser: from the "Waiting for
// you" list and from the card in the conversation that asked. No built-in plugin asks, so the
// pending actions are stored as a turn that asked would store them; the answers are the agents
// service's own (its time plugin runs no confirmed actions: a confirmed one of it fails).

import { randomUUID } from 'node:crypto';

import { queryDatabase } from '@posey/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { e2e, launch, newContext, noteTokens, screenshot, serious, signUp, visit } from './browser';

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launch();
  page = await (await newContext(browser)).newPage();
});

afterAll(async () => {
  if (page) await noteTokens(page.context());
  await browser?.close();
});

/** Stores a pending action of the time plugin asked in `conversation`, as its turn would. */
async function asked(person: string, conversation: string, summary: string): Promise<string> {
  const id = randomUUID();
  await queryDatabase(
    e2e().databaseUrl,
    `INSERT INTO agents.pending_actions (id, user_id, conversation_id, plugin, summary, reason, payload, expires_at)
     VALUES ($1, $2, $3, 'time', $4, 'it changes the clock', '{}', now() + interval '1 hour')`,
    [id, person, conversation, summary],
  );
  return id;
}

async function statusOf(id: string): Promise<string> {
  const rows = await queryDatabase<{ status: string }>(e2e().databaseUrl, 'SELECT status FROM agents.pending_actions WHERE id = $1', [id]);
  return rows[0]?.status ?? 'missing';
}

const card = (summary: string) => page.getByTestId('action-card').filter({ hasText: summary });
const said = () => page.getByTestId('assistant-message').allInnerTexts();

describe('actions waiting for the person', () => {
  let conversation = '';
  let person = '';

  it('are listed under notifications, denied and confirmed there, and the conversation is told', async () => {
    await signUp(page, 'alan');
    // A conversation of theirs, made in the chat.
    await visit(page, '/chat');
    await page.getByLabel('Message').fill('What time is it?');
    await page.getByLabel('Message').press('Enter');
    await page.waitForURL(/\/chat\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.getByRole('button', { name: 'Send' }).isVisible(), { timeout: 90_000 }).toBe(true);
    conversation = new URL(page.url()).pathname.split('/').pop() as string;
    const [owner] = await queryDatabase<{ user_id: string }>(e2e().databaseUrl, 'SELECT user_id::text FROM agents.conversations WHERE id = $1', [conversation]);
    person = owner.user_id;

    const back = await asked(person, conversation, 'set the clock back');
    const forward = await asked(person, conversation, 'set the clock forward');

    await visit(page, '/notifications');
    const waiting = page.getByTestId('waiting');
    await expect.poll(() => waiting.getByTestId('action-card').count()).toBe(2);
    expect(await card('set the clock back').innerText()).toContain('it changes the clock');
    expect(await card('set the clock back').getByTestId('action-status').innerText()).toBe('Waiting');
    expect(await card('set the clock back').getByRole('link', { name: 'open the conversation' }).getAttribute('href')).toBe(`/chat/${conversation}`);
    expect(await serious(page)).toEqual([]);
    await screenshot(page, 'actions-waiting-open');

    await card('set the clock back').getByRole('button', { name: 'Deny' }).click();
    await expect.poll(() => card('set the clock back').getByTestId('action-status').innerText()).toBe('Denied');
    expect(await card('set the clock back').innerText()).toContain('Nothing was done.');
    expect(await card('set the clock back').getByRole('button').count()).toBe(0);

    await card('set the clock forward').getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => card('set the clock forward').getByTestId('action-status').innerText()).toBe('Failed');
    expect(await card('set the clock forward').getByTestId('action-result').innerText()).toBe('this plugin runs no confirmed actions');
    await screenshot(page, 'actions-waiting');
    expect([await statusOf(back), await statusOf(forward)]).toEqual(['denied', 'failed']);

    // Nothing waits any more; what became of each is in the conversation that asked.
    await page.reload();
    await page.waitForSelector('body[data-hydrated]');
    expect(await page.getByTestId('waiting').count()).toBe(0);
    await visit(page, `/chat/${conversation}`);
    await expect.poll(said).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Denied: set the clock back. Nothing was done.'),
        expect.stringContaining('Could not set the clock forward: this plugin runs no confirmed actions'),
      ]),
    );
  });

  it('shows one waiting in its conversation as a card, answered there with the conversation read again', async () => {
    const alarm = await asked(person, conversation, 'set an alarm for seven');
    await visit(page, `/chat/${conversation}`);
    const asking = card('set an alarm for seven');
    await expect.poll(() => asking.getByTestId('action-status').innerText()).toBe('Waiting');
    // After everything said before it was asked.
    const transcript = await page.getByTestId('transcript').innerText();
    expect(transcript.indexOf('set an alarm for seven')).toBeGreaterThan(transcript.indexOf('Could not set the clock forward'));
    // The same conversation open in another tab, its card still waiting.
    const other = await page.context().newPage();
    await visit(other, `/chat/${conversation}`);
    const stale = other.getByTestId('action-card').filter({ hasText: 'set an alarm for seven' });
    await expect.poll(() => stale.getByTestId('action-status').innerText()).toBe('Waiting');
    const before = (await said()).length;

    await asking.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => asking.getByTestId('action-status').innerText()).toBe('Failed');
    // The conversation is read again without leaving the page: the message saying so is there.
    await expect.poll(async () => (await said()).length).toBe(before + 1);
    expect((await said()).at(-1)).toContain('Could not set an alarm for seven: this plugin runs no confirmed actions');
    expect(await statusOf(alarm)).toBe('failed');
    await screenshot(page, 'actions-chat');

    // The other tab's answer comes second: refused, and its card says why and drops its buttons.
    await stale.getByRole('button', { name: 'Deny' }).click();
    await expect.poll(() => stale.getByRole('alert').count()).toBe(1);
    expect(await stale.getByRole('alert').innerText()).toBe('the action was answered already: it is failed');
    expect(await stale.getByRole('button').count()).toBe(0);
    expect(await statusOf(alarm)).toBe('failed');
    await other.close();
  });
});

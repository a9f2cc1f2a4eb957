// A person's day with Posey through the browser: signing up by the emailed link, a chat that
// streams and survives a reload, a memory edited and deleted, the memories exported, a reminder
// that arrives live.

import { readFileSync } from 'node:fs';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertNoTokenLeaks, e2e, launch, newContext, noteTokens, screenshot, signUp, visit } from './browser';

let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  browser = await launch();
  context = await newContext(browser);
  page = await context.newPage();
});

afterAll(async () => {
  await noteTokens(context);
  await browser?.close();
});

describe('a person', () => {
  it('signs up and is signed in by the link in the confirmation email', async () => {
    await signUp(page, 'ada');
    const cookies = await context.cookies();
    const access = cookies.find((c) => c.name === 'posey-at');
    const refresh = cookies.find((c) => c.name === 'posey-rt');
    for (const c of [access, refresh]) {
      expect(c, 'the session cookies are set').toBeTruthy();
      expect(c?.httpOnly).toBe(true);
      expect(c?.secure).toBe(true);
      expect(c?.sameSite).toBe('Lax');
      expect(c?.path).toBe('/');
    }
    // Script on the page sees none of them.
    expect(await page.evaluate(() => document.cookie)).not.toMatch(/posey-(at|rt)/);
    await expect.poll(() => page.getByRole('heading', { name: 'New chat' }).isVisible()).toBe(true);
  });

  it('chats: the reply streams in with its tool calls and is still there after a reload', async () => {
    await visit(page, '/chat');
    const composer = page.getByLabel('Message');
    await composer.fill('What time is it? Answer with a table.');
    const seen: string[] = [];
    const stream = page.waitForResponse((r) => /\/api\/agents\/v1\/conversations\/[^/]+\/messages$/.test(r.url()) && r.request().method() === 'POST');
    await composer.press('Enter');
    const response = await stream;
    expect(response.headers()['content-type']).toMatch(/^text\/event-stream/);
    await page.waitForURL(/\/chat\/[0-9a-f-]{36}$/);
    // The test model calls every tool, then answers.
    await expect.poll(() => page.getByTestId('tool-card').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.getByRole('button', { name: 'Send' }).isVisible(), { timeout: 90_000 }).toBe(true);
    const replies = page.getByTestId('assistant-message');
    expect(await replies.count()).toBeGreaterThan(0);
    seen.push(...(await replies.allInnerTexts()));
    expect(seen.join('').trim().length).toBeGreaterThan(0);
    const tools = await page.getByTestId('tool-card').count();
    await screenshot(page, 'chat-desktop');

    await page.reload();
    await page.waitForSelector('body[data-hydrated]');
    await expect.poll(() => page.getByTestId('user-message').first().innerText()).toContain('What time is it?');
    expect(await page.getByTestId('tool-card').count()).toBe(tools);
    // Compared without whitespace: read while the page moves to the conversation's URL, the
    // replies may sit in a subtree not yet rendered, whose innerText has no line breaks.
    const words = (parts: string[]) => parts.join('').replace(/\s+/g, '');
    expect(words(await page.getByTestId('assistant-message').allInnerTexts())).toBe(words(seen));
    // The conversation is in the list, under the title the first message gave it.
    await expect.poll(() => page.getByRole('link', { name: /What time is it\?/ }).count()).toBeGreaterThan(0);
  });

  it('chats: a reload while the reply is being written still ends with the stored reply', async () => {
    await page.getByLabel('Message').fill('Remind me what we talked about');
    const stream = page.waitForResponse((r) => /\/api\/agents\/v1\/conversations\/[^/]+\/messages$/.test(r.url()) && r.request().method() === 'POST');
    await page.getByLabel('Message').press('Enter');
    await expect.poll(() => page.getByTestId('user-message').filter({ hasText: 'Remind me what we talked about' }).count()).toBe(1);
    const before = await page.getByTestId('assistant-message').count();
    // The reply has started (agents has the message): a reload before would abort the send itself.
    await stream;
    await page.reload();
    await page.waitForSelector('body[data-hydrated]');
    await expect.poll(() => page.getByTestId('user-message').filter({ hasText: 'Remind me what we talked about' }).count()).toBe(1);
    await expect.poll(() => page.getByTestId('assistant-message').count(), { timeout: 90_000 }).toBeGreaterThan(before);
    await expect.poll(() => page.getByText('Posey is still answering').count(), { timeout: 30_000 }).toBe(0);
  });

  it('picks who answers a new chat, and the conversation keeps it', async () => {
    await visit(page, '/chat');
    await page.getByLabel('Agent').selectOption('timekeeper');
    await page.getByLabel('Message').fill('What day is it?');
    await page.getByLabel('Message').press('Enter');
    await page.waitForURL(/\/chat\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.getByRole('button', { name: 'Send' }).isVisible(), { timeout: 90_000 }).toBe(true);
    await expect.poll(() => page.getByTestId('assistant-message').first().innerText()).toMatch(/^timekeeper/);
    await page.reload();
    await page.waitForSelector('body[data-hydrated]');
    expect(await page.getByLabel('Agent').inputValue()).toBe('timekeeper');
  });

  it('edits and deletes a memory', async () => {
    await visit(page, '/memory');
    await page.getByText('Tell Posey something to remember').click();
    await page.getByPlaceholder("I'm allergic to peanuts").fill('My sister is called Grace');
    await page.getByRole('button', { name: 'Remember' }).click();
    const memory = page.getByTestId('memory').filter({ hasText: 'My sister is called Grace' });
    await expect.poll(() => memory.count()).toBe(1);

    await memory.getByRole('button', { name: /^Edit/ }).click();
    await page.getByLabel('Memory text').fill('My sister is called Grace Hopper');
    await page.getByRole('button', { name: 'Save' }).click();
    // Saved (the form closes) before the reload, which would otherwise abort the save.
    await expect.poll(() => page.getByLabel('Memory text').count()).toBe(0);
    await page.reload();
    await page.waitForSelector('body[data-hydrated]');
    const edited = page.getByTestId('memory').filter({ hasText: 'My sister is called Grace Hopper' });
    await expect.poll(() => edited.count()).toBe(1);

    // Search by meaning finds it.
    await page.getByPlaceholder('Search what Posey remembers').fill('family');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.getByText(/Closest to/).isVisible()).toBe(true);
    await expect.poll(() => edited.count()).toBe(1);

    page.once('dialog', (d) => void d.accept());
    await edited.getByRole('button', { name: /^Delete/ }).click();
    await expect.poll(() => edited.count()).toBe(0);
    await page.reload();
    await page.waitForSelector('body[data-hydrated]');
    expect(await page.getByText('My sister is called Grace').count()).toBe(0);
  });

  it('exports what Posey remembers, each memory with where it came from, as JSON and Markdown', async () => {
    await visit(page, '/memory');
    await page.getByText('Tell Posey something to remember').click();
    for (const [text, kind] of [
      ['Prefers tea to coffee', 'preference'],
      ['Has a dog called Biscuit', 'fact'],
    ]) {
      await page.getByPlaceholder("I'm allergic to peanuts").fill(text);
      await page.locator('details select[name="kind"]').selectOption(kind);
      await page.getByRole('button', { name: 'Remember' }).click();
      await expect.poll(() => page.getByTestId('memory').filter({ hasText: text }).count()).toBe(1);
    }
    // What the list shows (memories the test model's tool calls noted in the chats above too).
    const listed = await page.evaluate(async () => {
      const r = await fetch('/api/agents/v1/memories?limit=200');
      return ((await r.json()) as { memories: { id: string; text: string; kind: string; origin: string; conversation_id: string | null }[] }).memories;
    });

    const download = async (name: string) => {
      const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name }).click()]);
      return { name: file.suggestedFilename(), text: readFileSync(await file.path(), 'utf8') };
    };
    const json = await download('Export JSON');
    expect(json.name).toMatch(/^posey-memories-\d{4}-\d{2}-\d{2}\.json$/);
    const exported = JSON.parse(json.text) as { exported_at: string; memories: { id: string; text: string; kind: string; origin: string; conversation_id: string | null; superseded_at: string | null; retracted_at: string | null }[] };
    const current = exported.memories.filter((m) => !m.superseded_at && !m.retracted_at);
    const pick = ({ id, text, kind, origin, conversation_id }: (typeof listed)[number]) => ({ id, text, kind, origin, conversation_id });
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    // All of them, each with its origin and conversation, and nothing forgotten (Grace was deleted).
    expect(current.map(pick).sort(byId)).toEqual(listed.map(pick).sort(byId));
    expect(current.find((m) => m.text === 'Prefers tea to coffee')).toMatchObject({ kind: 'preference', origin: 'person', conversation_id: null });
    expect(current.find((m) => m.text === 'Has a dog called Biscuit')).toMatchObject({ kind: 'fact', origin: 'person' });
    expect(json.text).not.toContain('My sister is called Grace');

    const md = await download('Export Markdown');
    expect(md.name).toMatch(/^posey-memories-\d{4}-\d{2}-\d{2}\.md$/);
    expect(md.text).toMatch(/^# What Posey remembers\n/);
    expect(md.text).toContain(`${current.length} current`);
    expect(md.text).toContain('- Prefers tea to coffee  \n  *preference, added by you; since ');
    expect(md.text).toContain('- Has a dog called Biscuit  \n  *fact, added by you; since ');
    for (const m of exported.memories) {
      expect(md.text).toContain(`id ${m.id}*`);
      if (m.conversation_id) expect(md.text).toContain(`](${e2e().webUrl}/chat/${m.conversation_id})`);
    }
  });

  it('creates a reminder, and running it now shows up live in the notification centre', async () => {
    await visit(page, '/reminders');
    await page.getByPlaceholder('What to remind you of').fill('Water the plants');
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await page.locator('input[name="date"]').fill(tomorrow);
    await page.locator('input[name="time"]').fill('09:00');
    await page.getByRole('button', { name: 'Create reminder' }).click();
    const reminder = page.getByTestId('reminder').filter({ hasText: 'Water the plants' });
    await expect.poll(() => reminder.count()).toBe(1);
    await expect.poll(() => reminder.innerText()).toContain(`once, ${tomorrow} 09:00`);
    await page.reload();
    await page.waitForSelector('body[data-hydrated]');
    expect(await reminder.count()).toBe(1);

    // A repeating one, from the builder.
    await page.getByPlaceholder('What to remind you of').fill('Stretch');
    await page.getByRole('radio', { name: 'Repeats' }).check();
    await page.getByLabel('How often').selectOption('weekdays');
    await page.locator('input[name="time"]').fill('10:30');
    await page.getByRole('button', { name: 'Create reminder' }).click();
    await expect.poll(() => page.getByTestId('reminder').filter({ hasText: 'weekdays at 10:30' }).count()).toBe(1);

    // Pause and resume.
    await reminder.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => reminder.getByText('paused').first().isVisible()).toBe(true);
    await reminder.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => reminder.getByRole('button', { name: 'Pause' }).isVisible()).toBe(true);

    // The notification centre is open in a second tab when the reminder runs.
    const centre = await context.newPage();
    await visit(centre, '/notifications');
    await centre.waitForResponse((r) => r.url().includes('/api/cron/v1/notifications/stream'));
    await reminder.getByRole('button', { name: 'Run now' }).click();
    await expect.poll(() => page.getByText('“Water the plants” runs now.').isVisible()).toBe(true);
    const arrived = centre.getByTestId('notification').filter({ hasText: 'Water the plants' });
    await expect.poll(() => arrived.count(), { timeout: 30_000 }).toBe(1);
    await screenshot(centre, 'notifications-live');

    await reminder.getByRole('link', { name: 'History' }).click();
    await page.waitForURL(/\/reminders\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.getByRole('cell', { name: /succeeded|running|pending|done|completed/ }).count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await centre.close();
  });

  it('never got a token in a response body or a cookie script can read', () => {
    assertNoTokenLeaks();
  });
});

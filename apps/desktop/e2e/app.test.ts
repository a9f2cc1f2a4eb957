// The desktop app as a person uses it: signs in (the bridge keeps the session; the page holds
// no token), asks something and sees the answer stream in (from the harness's deterministic test
// model), answers an action the companion asked on the card shared with the web app, makes a
// reminder and gets its native notification when it falls due. A screenshot of each step is
// kept in test-artifacts/.

import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { queryDatabase } from '@posey/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { screenPng } from './screen';
import { WebDriver, until } from './webdriver';

const e2e = inject('e2e');
let driver: WebDriver;

function screenshot(name: string) {
  const path = join(e2e.artifacts, `desktop-${name}.png`);
  writeFileSync(path, screenPng(e2e.screenFile));
  console.log(`screenshot: ${path}`);
}

/** Everything the page keeps or shows: no token may be in it. */
const PAGE_STATE = `return JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie, html: document.documentElement.outerHTML });`;

describe('the desktop app', () => {
  beforeAll(async () => {
    driver = await WebDriver.start(e2e.driverUrl, e2e.application);
  });

  afterAll(async () => {
    await driver?.quit().catch(() => undefined);
  });

  it('signs in through the bridge and keeps no token in the page', async () => {
    await driver.type('input[name=email]', e2e.email);
    await driver.type('input[name=password]', e2e.password);
    await driver.click('button[type=submit]');
    // The first page load of a fresh WebKit profile on a busy machine can take a while.
    await driver.find('[data-testid=messages]', 90_000).catch(async (e: unknown) => {
      screenshot('sign-in-failed');
      throw new Error(`${String(e)}; the page said: ${await driver.execute<string>('return document.body.innerText;')}`);
    });
    // The sidebar's foot names the person (an ellipsis cuts it, so WebKitWebDriver's visible
    // text leaves it out: its text content and its title say it whole).
    const named = `const foot = document.querySelector('nav [title]'); return foot ? foot.getAttribute('title') + '|' + foot.textContent : '';`;
    expect(await driver.execute<string>(named)).toBe(`${e2e.email}|${e2e.email}`);
    const state = await driver.execute<string>(PAGE_STATE);
    // Posey's access tokens are JWTs ("eyJ…"); refresh tokens are opaque, and never sent here.
    expect(state).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    screenshot('signed-in');
  });

  it('streams an answer into the conversation', async () => {
    await driver.type('input[name=message]', 'Say hello in one short sentence.');
    await driver.click('form button[type=submit]');
    await driver.find('[data-testid=user-message]');
    // The answer streams in as the bridge forwards the turn's events; once the turn ended the
    // conversation is read again and the stored answer is shown (the test model's words).
    await until('the turn ended', async () => (await driver.count('[data-testid=messages][aria-busy=false]')) > 0, 150_000);
    const answer = await until('a stored answer', async () => (await driver.count('[data-testid=assistant-message]')) > 0 && (await driver.text('[data-testid=assistant-message]')));
    expect(answer.trim().length).toBeGreaterThan(0);
    expect(await driver.count('[role=alert]')).toBe(0);
    screenshot('chat');
  });

  it('answers an action the companion asked, on the card the web app shows too', async () => {
    // No built-in plugin asks: the pending action is stored as a turn that asked would store it
    // (as the web app's browser test does); the answer is the agents service's own.
    const [conversation] = await queryDatabase<{ id: string; user_id: string }>(e2e.databaseUrl, 'SELECT id::text, user_id::text FROM agents.conversations ORDER BY created_at DESC LIMIT 1');
    if (!conversation) throw new Error('no conversation was stored');
    const action = randomUUID();
    await queryDatabase(
      e2e.databaseUrl,
      `INSERT INTO agents.pending_actions (id, user_id, conversation_id, plugin, summary, reason, payload, expires_at)
       VALUES ($1, $2, $3, 'time', 'set the clock back', 'it changes the clock', '{}', now() + interval '1 hour')`,
      [action, conversation.user_id, conversation.id],
    );
    // Open the conversation again: what it asked is read with it.
    await driver.click('aside button');
    await driver.click('aside .menu a');
    const status = '[data-testid=action-card] [data-testid=action-status]';
    expect(await until('the action card', async () => (await driver.count(status)) > 0 && (await driver.text(status)))).toBe('Waiting');
    expect(await driver.text('[data-testid=action-card]')).toContain('it changes the clock');
    screenshot('action');
    await driver.click('[data-testid=action-card] button.btn:not(.btn-primary)');
    await until('the action denied', async () => (await driver.text(status)) === 'Denied');
    const [row] = await queryDatabase<{ status: string }>(e2e.databaseUrl, 'SELECT status FROM agents.pending_actions WHERE id = $1', [action]);
    expect(row?.status).toBe('denied');
    expect(await driver.count('[data-testid=action-card] button')).toBe(0);
  });

  it('makes a reminder and shows its native notification when it falls due', async () => {
    await driver.click('a[href="#/reminders"]');
    await driver.type('input[name=remind]', 'in 1 minute stretch your legs');
    await driver.click('form button[type=submit]');
    await until('the reminder listed', async () => (await driver.texts('[data-testid=reminder]')).some((t) => t.includes('stretch your legs')));
    screenshot('reminder');

    const logged = () =>
      existsSync(e2e.notificationLog)
        ? readFileSync(e2e.notificationLog, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { title: string; body: string })
            .find((n) => `${n.title} ${n.body}`.includes('stretch your legs'))
        : undefined;
    const line = await until('the reminder’s notification', () => Promise.resolve(logged()), 150_000, 1000);
    expect(line.title).toBeTruthy();
    // The webview heard of it too (the toast and the unread badge).
    await until('the toast or the unread badge', async () => (await driver.count('[data-testid=toast], nav .badge')) > 0);
    await driver.click('a[href="#/notifications"]');
    await until('the notification listed', async () => (await driver.texts('[data-testid=notification]')).some((t) => t.includes('stretch your legs')));
    screenshot('notification');
  });

  it('signs out, and the bridge forgets the session', async () => {
    await driver.click('a[href="#/settings"]');
    await driver.click('.card button.btn-outline');
    await driver.find('input[name=email]');
    // A new page load asks the bridge again: nobody is signed in any more.
    await driver.execute('location.reload();');
    await driver.find('input[name=email]');
  });
});

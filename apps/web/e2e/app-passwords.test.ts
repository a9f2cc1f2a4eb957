// Calendar sync through the browser: from the calendar page's link to Settings, an app password
// is made (its name checked first), its secret shown once with the CalDAV address and the
// person's email, and it really signs a calendar app in: a PROPFIND with HTTP Basic from here to
// the agents service's /dav/ is a 207. Revoked after a confirm step, it is a 401 within seconds.

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { e2e, launch, newContext, noteTokens, screenshot, serious, signUp, visit } from './browser';

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

/** What a calendar app sends first: its principal, with the email and app password. */
async function propfind(email: string, password: string): Promise<number> {
  const response = await fetch(`${e2e().agentsUrl}/dav/`, {
    method: 'PROPFIND',
    headers: {
      authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`,
      depth: '0',
      'content-type': 'application/xml',
    },
    body: '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>',
    signal: AbortSignal.timeout(15_000),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('calendar sync', () => {
  it('makes an app password shown once that signs CalDAV in, until it is revoked', async () => {
    const { email } = await signUp(page, 'cal-sync');
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: e2e().webUrl });

    // The calendar page's Calendars card leads to the settings section.
    await visit(page, '/calendar');
    await page.getByTestId('calendar-sync-hint').getByRole('link', { name: 'make an app password in Settings' }).click();
    await page.waitForURL(/\/settings#calendar-sync$/);
    await page.waitForSelector('body[data-hydrated]');
    const section = page.locator('section#calendar-sync');
    expect(await section.getByRole('heading', { level: 2 }).innerText()).toBe('Calendar sync (app passwords)');
    expect(await section.getByTestId('no-app-passwords').count()).toBe(1);
    // No POSEY_CALDAV_URL here: the agents service's own address, as posey up gives it to the app.
    const davUrl = `${e2e().agentsUrl}/dav/`;
    expect(await section.getByTestId('caldav-url').innerText()).toBe(davUrl);

    // A name is needed; the mistake is said under the field.
    const name = section.getByPlaceholder('App or device name, like Phone');
    await section.getByRole('button', { name: 'Make an app password' }).click();
    await expect.poll(() => name.getAttribute('aria-invalid')).toBe('true');
    expect(await section.locator('#app-password-name-error').innerText()).toMatch(/name/);

    await name.fill('Phone');
    await section.getByRole('button', { name: 'Make an app password' }).click();
    const made = section.getByTestId('app-password-made');
    await made.waitFor();
    const secret = await made.getByTestId('app-password-secret').inputValue();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{4}(-[A-Za-z0-9_-]{1,4})+$/);
    expect(await made.getByTestId('made-server-url').inputValue()).toBe(davUrl);
    expect(await made.getByTestId('made-username').inputValue()).toBe(email);
    expect(await made.innerText()).toMatch(/DAVx5/);
    expect(await made.innerText()).toMatch(/Thunderbird/);
    await made.getByRole('button', { name: 'Copy the password' }).click();
    await expect.poll(() => made.getByRole('button', { name: 'Copied the password' }).count()).toBe(1);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    const row = section.getByTestId('app-password').filter({ hasText: 'Phone' });
    expect(await row.count()).toBe(1);
    expect(await row.getByTestId('app-password-used').innerText()).toMatch(/never used/);
    expect(await serious(page), 'axe with a new app password shown').toEqual([]);
    await screenshot(page, 'desktop_settings_app_password');

    // It signs a calendar app in; the account password and a wrong secret do not.
    expect(await propfind(email, secret)).toBe(207);
    expect(await propfind(email, 'correct horse battery staple')).toBe(401);
    expect(await propfind(email, 'aaaa-bbbb-cccc')).toBe(401);

    // Shown once: a reload lists it (now used) without its secret.
    await visit(page, '/settings');
    expect(await page.getByTestId('app-password-made').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    const listed = page.getByTestId('app-password').filter({ hasText: 'Phone' });
    expect(await listed.getByTestId('app-password-used').innerText()).toMatch(/last used/);

    // Revoke, with a confirm step that can be cancelled.
    await listed.getByRole('button', { name: 'Revoke Phone' }).click();
    await listed.getByRole('button', { name: 'Cancel' }).click();
    expect(await listed.getByRole('button', { name: 'Yes, revoke' }).count()).toBe(0);
    await listed.getByRole('button', { name: 'Revoke Phone' }).click();
    const confirm = listed.getByRole('group', { name: 'Revoke Phone?' });
    await confirm.waitFor();
    expect(await serious(page), 'axe while confirming a revoke').toEqual([]);
    await confirm.getByRole('button', { name: 'Yes, revoke' }).click();
    await expect.poll(() => page.getByTestId('app-password').count()).toBe(0);
    expect(await page.getByTestId('no-app-passwords').count()).toBe(1);

    // The app is out within seconds, though the token agents got for it has not expired.
    const deadline = Date.now() + 10_000;
    let status = await propfind(email, secret);
    while (status === 207 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      status = await propfind(email, secret);
    }
    expect(status).toBe(401);

    // Still gone after a reload.
    await visit(page, '/settings');
    expect(await page.getByTestId('app-password').count()).toBe(0);
  });
});

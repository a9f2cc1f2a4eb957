// Every page at phone and desktop size: no serious accessibility violation (axe), a screenshot
// kept in test-artifacts/. Also documents: an upload that becomes ready and whose passage a chat
// citation opens, and one refused with its reason.

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertNoTokenLeaks, launch, newContext, noteTokens, screenshot, serious, signUp, visit } from './browser';

const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } };

let browser: Browser;
let context: BrowserContext;
let page: Page;
const paths: Record<string, string> = {};

beforeAll(async () => {
  browser = await launch();
  context = await newContext(browser);
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
});

describe('documents', () => {
  it('an upload shows its progress, becomes ready, and a chat citation opens its passage', async () => {
    await signUp(page, 'grace');
    await visit(page, '/documents');
    const text = '# Boat maintenance\n\nThe outboard motor of the Albatross needs fresh oil every 50 hours.\n\n## Hull\n\nScrub the hull of the Albatross each spring.\n';
    await page.getByLabel('Choose files to upload').setInputFiles({ name: 'albatross.md', mimeType: 'text/markdown', buffer: Buffer.from(text) });
    const doc = page.getByTestId('document').filter({ hasText: 'albatross.md' });
    await expect.poll(() => doc.count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => doc.getByTestId('document-status').innerText(), { timeout: 60_000 }).toBe('ready');

    // A file of a kind documents do not take: refused, with the reason.
    await page.getByLabel('Choose files to upload').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex') });
    const refused = page.getByTestId('upload').filter({ hasText: 'photo.png' });
    await expect.poll(() => refused.getByRole('alert').innerText(), { timeout: 20_000 }).toMatch(/documents accept PDF/);

    await doc.getByRole('link', { name: 'albatross.md' }).click();
    await page.waitForURL(/\/documents\/[0-9a-f-]{36}$/);
    paths.document = new URL(page.url()).pathname;
    await expect.poll(() => page.getByText('fresh oil every 50 hours').count()).toBeGreaterThan(0);

    // The test model calls search_documents; its passages become the reply's sources.
    await visit(page, '/chat');
    await page.getByLabel('Message').fill('How often does the Albatross need oil?');
    await page.getByLabel('Message').press('Enter');
    await expect.poll(() => page.getByRole('button', { name: 'Send' }).isVisible(), { timeout: 90_000 }).toBe(true);
    paths.conversation = new URL(page.url()).pathname;
    const sources = page.getByTestId('citations').getByRole('link');
    await expect.poll(() => sources.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await sources.first().click();
    await page.waitForURL(/\/documents\/[0-9a-f-]{36}#chunk-\d+$/);
    const target = new URL(page.url()).hash.slice(1);
    await expect.poll(() => page.locator(`[id="${target}"]`).isVisible()).toBe(true);
  });
});

describe('every page', () => {
  it('has no serious accessibility violation at phone and desktop size', async () => {
    await visit(page, '/memory');
    await page.evaluate(async () => {
      await fetch('/api/agents/v1/memories', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Likes sailing' }) });
      await fetch('/api/cron/v1/tasks', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Check the tide', kind: 'reminder', payload: { title: 'Check the tide' }, schedule: { kind: 'cron', spec: '0 0 7 * * *' }, time_zone: 'Europe/Paris' }),
      });
    });
    const signedIn = ['/chat', paths.conversation, '/memory', '/documents', paths.document, '/calendar', '/reminders', '/notifications', '/settings', '/reset-password'];
    const signedOut = ['/sign-in', '/sign-up', '/sign-in/code', '/forgot-password', '/check-email?purpose=signup&email=a%40example.test', '/sign-in?error=invalid_credentials'];
    const problems: string[] = [];
    for (const [size, viewport] of Object.entries(SIZES)) {
      await page.setViewportSize(viewport);
      for (const path of signedIn) {
        await visit(page, path);
        expect(new URL(page.url()).pathname, `${path} opened signed in`).toBe(path.split('?')[0]);
        for (const v of await serious(page)) problems.push(`${size} ${path}: ${v}`);
        await screenshot(page, `${size}${path.replace(/\//g, '_').replace(/[0-9a-f-]{36}/, 'id')}`);
      }
      // The theme switch: dark as well.
      await visit(page, '/settings');
      await page.getByRole('radio', { name: 'Dark' }).check();
      await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
      await visit(page, '/chat');
      for (const v of await serious(page)) problems.push(`${size} dark /chat: ${v}`);
      await screenshot(page, `${size}_chat_dark`);
      await visit(page, '/settings');
      await page.getByRole('radio', { name: 'Device' }).check();
    }
    await noteTokens(context);
    const anonymous = await newContext(browser);
    const visitor = await anonymous.newPage();
    for (const [size, viewport] of Object.entries(SIZES)) {
      await visitor.setViewportSize(viewport);
      for (const path of signedOut) {
        await visitor.goto(path);
        for (const v of await serious(visitor)) problems.push(`${size} ${path}: ${v}`);
        await screenshot(visitor, `${size}${path.split('?')[0].replace(/\//g, '_')}${path.includes('error') ? '_error' : ''}`);
      }
    }
    // Signed out, the app's pages send a person to sign in, remembering where they were going.
    await visitor.goto('/memory');
    expect(new URL(visitor.url()).pathname).toBe('/sign-in');
    expect(new URL(visitor.url()).searchParams.get('next')).toBe('/memory');
    await anonymous.close();
    expect(problems).toEqual([]);
  });

  it('every page carries a nonce-based Content-Security-Policy', async () => {
    const response = await page.goto('/chat');
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/unsafe-eval/);
  });

  it('no token reached a response body or a readable cookie', () => {
    assertNoTokenLeaks();
  });
});

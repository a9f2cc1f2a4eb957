// The tests' browser: Debian's Chromium driven by playwright-core, with every response of this
// app recorded so the token checks can read what the browser was ever given.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { readMail, uniqueEmail } from '@posey/testing';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect, inject } from 'vitest';

import { ARTIFACTS } from './setup';

export const e2e = () => inject('e2e');

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // As root, in a closed network: no sandbox, nothing fetched in the background.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface Recorded {
  url: string;
  status: number;
  body: string;
  setCookies: string[];
}

/** Every response from the app to `context`'s pages, bodies included (SSE streams as they ended). */
export const recorded: Recorded[] = [];
/** Every token value the browser held in a cookie at some point. */
export const tokensSeen = new Set<string>();

export async function newContext(browser: Browser, options: { viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> {
  const { webUrl } = e2e();
  const context = await browser.newContext({ baseURL: webUrl, viewport: options.viewport ?? { width: 1280, height: 800 } });
  context.on('response', async (response) => {
    if (!response.url().startsWith(webUrl)) return;
    let setCookies: string[];
    try {
      setCookies = (await response.headersArray()).filter((h) => h.name.toLowerCase() === 'set-cookie').map((h) => h.value);
    } catch {
      // The page closed before its headers could be read: nothing more to record.
      return;
    }
    let body = '';
    try {
      // Redirects have no body to read.
      if (response.status() < 300 || response.status() >= 400) body = (await response.body()).toString('latin1');
    } catch {
      // A stream the page stopped reading: its body is gone; what it carried was checked by the chat test.
    }
    recorded.push({ url: response.url(), status: response.status(), body, setCookies });
  });
  return context;
}

/** Remembers the tokens `context` holds now (they rotate; each one must never show up in a body). */
export async function noteTokens(context: BrowserContext): Promise<void> {
  for (const c of await context.cookies()) {
    if (/posey-(at|rt)$/.test(c.name) && c.value) tokensSeen.add(c.value);
  }
}

/** Opens `path` and waits until React has hydrated it (its form handlers are attached). */
export async function visit(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await page.waitForSelector('body[data-hydrated]');
}

export const PASSWORD = 'correct horse battery staple';

/** Signs a new person up through the pages and confirms through the emailed link. */
export async function signUp(page: Page, label = 'person'): Promise<{ email: string }> {
  const email = uniqueEmail(label);
  await page.goto('/sign-up');
  await page.getByPlaceholder('Your name').fill(label);
  await page.getByPlaceholder('Email').fill(email);
  await page.getByPlaceholder('Password (8 characters or more)').fill(PASSWORD);
  await page.getByPlaceholder('Password again').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create the account' }).click();
  await page.waitForURL(/\/check-email/);
  const mail = await readMail(email, { maildir: e2e().maildir, timeoutMs: 20_000 });
  expect(mail.verifyLink, mail.body).toBeTruthy();
  await page.goto(mail.verifyLink as string);
  await page.waitForURL(/\/chat$/);
  await noteTokens(page.context());
  return { email };
}

export async function signIn(page: Page, email: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByPlaceholder('Email').fill(email);
  await page.getByPlaceholder('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/chat$/);
  await noteTokens(page.context());
}

const axeSource = readFileSync(join(createRequire(import.meta.url).resolve('axe-core'), '..', 'axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe on the page (evaluated through DevTools, so the page's CSP does not stop it).
 *
 * Next streams a page's metadata: while a `router.refresh()` is in flight the `<title>` can be
 * briefly absent, a state no one reading the page is in. So axe waits (up to 5 s) for a title; a
 * page that never gets one still fails `document-title`.
 */
export async function serious(page: Page): Promise<string[]> {
  await page.waitForFunction(() => document.title.trim() !== '', undefined, { timeout: 5000 }).catch(() => undefined);
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (o: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run({ resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** No response the browser got carried a token in its body or in a cookie script can read. */
export function assertNoTokenLeaks(): void {
  expect(tokensSeen.size, 'the tests signed in and saw token cookies').toBeGreaterThan(0);
  expect(recorded.length).toBeGreaterThan(0);
  for (const r of recorded) {
    for (const token of tokensSeen) {
      expect(r.body.includes(token), `a token in the body of ${r.url}`).toBe(false);
    }
    for (const cookie of r.setCookies) {
      const [pair] = cookie.split(';');
      const value = decodeURIComponent(pair.slice(pair.indexOf('=') + 1));
      if (value && [...tokensSeen].some((t) => value.includes(t))) {
        expect(cookie, `${r.url} set a token cookie`).toMatch(/;\s*HttpOnly/i);
        expect(cookie).toMatch(/;\s*Secure/i);
        expect(cookie).toMatch(/;\s*SameSite=Lax/i);
      }
    }
  }
}

/**
 * A call to the agents service's API through the app, as the page's person: `base` is the API's
 * prefix under `/api/agents` (say `/v1/home`). The status and the JSON body (`{}` when empty).
 */
export async function callAgents(page: Page, base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return page.evaluate(
    async ([url, method, body]) => {
      const r = await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // An empty answer (204).
      }
      return { status: r.status, json };
    },
    [`/api/agents${base}${path}`, method, body] as const,
  );
}

// The BFF's promises, tested through real browsers: cross-site writes are refused, two tabs
// refreshing with one single-use refresh token both stay signed in, a revoked session signs
// that browser out, SSE comes through unbuffered, and one person sees nothing of another's.

import { createServer, type Server } from 'node:http';

import { freePorts } from '@posey/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertNoTokenLeaks, e2e, launch, newContext, noteTokens, signIn, signUp, visit } from './browser';

let browser: Browser;
let alice: BrowserContext;
let page: Page;
let aliceEmail: string;
let aliceConversation: string;

/** The `Cookie` header the browser would send to the app. */
async function cookieHeader(context: BrowserContext): Promise<string> {
  return (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
}

beforeAll(async () => {
  browser = await launch();
  alice = await newContext(browser);
  page = await alice.newPage();
  ({ email: aliceEmail } = await signUp(page, 'alice'));
  const created = await page.evaluate(async () => {
    const r = await fetch('/api/agents/v1/conversations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Alice private plans' }),
    });
    return (await r.json()) as { id: string };
  });
  aliceConversation = created.id;
  const memory = await page.evaluate(async () => {
    const r = await fetch('/api/agents/v1/memories', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Alice keeps her spare key under the blue pot' }),
    });
    return r.status;
  });
  expect(memory).toBe(201);
});

afterAll(async () => {
  await browser?.close();
});

describe('cross-site requests', () => {
  it('are refused whatever the browser sends: a form on another site posts nothing', async () => {
    const { webUrl } = e2e();
    const [port] = await freePorts(1);
    // Another site (127.0.0.1 is not localhost's site) whose page posts a form to the app.
    const evil: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<form id=f method=post action="${webUrl}/api/agents/v1/conversations" enctype="text/plain">
        <input name='{"title":"forged","x":"' value='"}'></form><script>f.submit()</script>`);
    });
    await new Promise<void>((r) => evil.listen(port, '127.0.0.1', r));
    try {
      const attacked = await alice.newPage();
      const answer = attacked.waitForResponse((r) => r.url().startsWith(`${webUrl}/api/`));
      await attacked.goto(`http://127.0.0.1:${port}/`);
      const response = await answer;
      expect(response.status()).toBe(403);
      expect(await response.text()).toMatch(/cross_site_request/);
      await attacked.close();
    } finally {
      evil.close();
    }
    const titles = await page.evaluate(async () => {
      const r = await fetch('/api/agents/v1/conversations');
      return ((await r.json()) as { conversations: { title: string }[] }).conversations.map((c) => c.title);
    });
    expect(titles).not.toContain('forged');
  });

  it('are refused by Origin and Sec-Fetch-Site even with the session cookies', async () => {
    const { webUrl } = e2e();
    const cookie = await cookieHeader(alice);
    const post = (headers: Record<string, string>) =>
      fetch(`${webUrl}/api/agents/v1/conversations`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ title: 'forged' }),
      });
    expect((await post({ origin: 'https://evil.test' })).status).toBe(403);
    expect((await post({ origin: webUrl, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post({})).status).toBe(403);
    // The auth forms too: a cross-site sign-out does nothing.
    const signOut = await fetch(`${webUrl}/auth/sign-out`, { method: 'POST', headers: { cookie, origin: 'https://evil.test' }, redirect: 'manual' });
    expect(signOut.status).toBe(403);
    // The same request from the app's own origin goes through.
    const ok = await post({ origin: webUrl, 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(201);
    const { id } = (await ok.json()) as { id: string };
    await fetch(`${webUrl}/api/agents/v1/conversations/${id}`, { method: 'DELETE', headers: { cookie, origin: webUrl } });
  });
});

describe('the chat stream', () => {
  it('comes through the BFF as it is written, not buffered to the end', async () => {
    const { webUrl } = e2e();
    const response = await fetch(`${webUrl}/api/agents/v1/conversations/${aliceConversation}/messages`, {
      method: 'POST',
      headers: { cookie: await cookieHeader(alice), origin: webUrl, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ content: 'Hello there' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('cache-control')).toMatch(/no-transform/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const arrivals: { at: number; text: string }[] = [];
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      arrivals.push({ at: Date.now(), text: decoder.decode(value) });
    }
    const all = arrivals.map((a) => a.text).join('');
    expect(all).toMatch(/event: agent/);
    expect(all).toMatch(/event: done/);
    // Events arrived in several pieces, the first before the last was written.
    expect(arrivals.length).toBeGreaterThan(1);
    expect(arrivals[0].text).not.toMatch(/event: done/);
  });
});

describe('sessions', () => {
  it('two tabs refreshing at once with one single-use refresh token both stay signed in', async () => {
    const context = await newContext(browser);
    const first = await context.newPage();
    await signIn(first, aliceEmail);
    const before = (await context.cookies()).find((c) => c.name === 'posey-rt')?.value;
    // Drop the access token: both tabs' next requests must refresh, with the same refresh token.
    const keep = (await context.cookies()).filter((c) => c.name !== 'posey-at');
    await context.clearCookies();
    await context.addCookies(keep);
    const second = await context.newPage();
    await Promise.all([first.goto('/memory'), second.goto('/settings')]);
    expect(new URL(first.url()).pathname).toBe('/memory');
    expect(new URL(second.url()).pathname).toBe('/settings');
    const after = (await context.cookies()).find((c) => c.name === 'posey-rt')?.value;
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    await noteTokens(context);
    // The rotated token works: a later visit that must refresh again still gets in.
    const again = (await context.cookies()).filter((c) => c.name !== 'posey-at');
    await context.clearCookies();
    await context.addCookies(again);
    await first.goto('/reminders');
    expect(new URL(first.url()).pathname).toBe('/reminders');
    await context.close();
  });

  it('a session revoked from another device signs that browser out', async () => {
    const phone = await newContext(browser, { viewport: { width: 390, height: 844 } });
    const other = await phone.newPage();
    await signIn(other, aliceEmail);
    // Which of Alice's sessions is the phone's: the one its own list marks current.
    const phoneId = await other.evaluate(async () => {
      const r = await fetch('/api/auth/sessions');
      return ((await r.json()) as { sessions: { id: string; current: boolean }[] }).sessions.find((s) => s.current)?.id;
    });
    expect(phoneId).toBeTruthy();
    await visit(page, '/settings');
    const sessions = page.getByTestId('session');
    await expect.poll(() => sessions.count()).toBeGreaterThan(1);
    const count = await sessions.count();
    const phoneSession = page.locator(`[data-session-id="${phoneId}"]`);
    expect(await phoneSession.getByText('this browser').count()).toBe(0);
    page.once('dialog', (d) => void d.accept());
    await phoneSession.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => sessions.count()).toBe(count - 1);
    // Within a second or so the services refuse its token; the next page it opens asks it to sign in.
    await expect
      .poll(
        async () => {
          await other.goto('/memory');
          return new URL(other.url()).pathname;
        },
        { timeout: 15_000, interval: 1000 },
      )
      .toBe('/sign-in');
    expect((await phone.cookies()).filter((c) => /posey-(at|rt)$/.test(c.name))).toEqual([]);
    // This browser is still signed in.
    await visit(page, '/memory');
    expect(new URL(page.url()).pathname).toBe('/memory');
    await phone.close();
  });
});

describe('a second person', () => {
  it('sees none of the first one’s data, and cannot open it by its id', async () => {
    const context = await newContext(browser);
    const bob = await context.newPage();
    await signUp(bob, 'bob');
    await bob.goto('/chat');
    expect(await bob.getByText('Alice private plans').count()).toBe(0);
    await bob.goto('/memory');
    expect(await bob.getByText('blue pot').count()).toBe(0);
    await bob.goto(`/chat/${aliceConversation}`);
    await expect.poll(() => bob.getByRole('heading', { name: 'Not found' }).isVisible()).toBe(true);
    const status = await bob.evaluate(async (id) => (await fetch(`/api/agents/v1/conversations/${id}/messages`)).status, aliceConversation);
    expect(status).toBe(404);
    const search = await bob.evaluate(async () => {
      const r = await fetch('/api/agents/v1/memories/search?q=spare%20key');
      return ((await r.json()) as { memories: { text: string }[] }).memories.map((m) => m.text);
    });
    expect(search.join(' ')).not.toMatch(/blue pot/);
    await noteTokens(context);
    await context.close();
  });
});

describe('tokens', () => {
  it('never reach a response body or a cookie script can read', async () => {
    await noteTokens(alice);
    assertNoTokenLeaks();
  });
});

// The BFF's overhead on a chat turn: time from sending to the first event, and to `done`, through
// the BFF (cookies, proxy, forwarder) and straight from the agents service with the same token,
// alternating, over TURNS turns of the test model. Run with `npm run bench`; prints p50/p99.

import { availableParallelism, loadavg } from 'node:os';

import { readMail, uniqueEmail } from '@posey/testing';
import { expect, inject, it } from 'vitest';

const TURNS = Number(process.env.BENCH_TURNS ?? 50);

/** A tiny cookie jar for one origin. */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const maxAge = /Max-Age=0\b/i.test(line);
      if (maxAge) this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  get(name: string) {
    const v = this.cookies.get(name);
    return v === undefined ? undefined : decodeURIComponent(v);
  }
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function turn(url: string, headers: Record<string, string>): Promise<{ first: number; done: number }> {
  const start = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ content: 'What time is it?' }),
  });
  expect(response.status).toBe(200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let first = 0;
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (!first) first = performance.now() - start;
    text += decoder.decode(value, { stream: true });
  }
  expect(text).toMatch(/event: done/);
  return { first, done: performance.now() - start };
}

it(`measures ${TURNS} turns through the BFF and straight from agents`, async () => {
  const e2e = inject('e2e');
  const { agentsUrl, maildir } = e2e;
  // The agents URL is an IP: so is this one, so neither side pays for resolving `localhost`.
  const webUrl = e2e.webUrl.replace('//localhost:', '//127.0.0.1:');
  const jar = new Jar();
  const email = uniqueEmail('bench');
  const form = new URLSearchParams({ email, password: 'correct horse battery staple', name: 'bench' });
  const signUp = await fetch(`${webUrl}/auth/sign-up`, { method: 'POST', body: form, headers: { origin: webUrl }, redirect: 'manual' });
  jar.take(signUp);
  const mail = await readMail(email, { maildir });
  // Auth's link leads to the app (its site URL, then the callback) with the code: followed by
  // hand, so the PKCE cookie goes along and the session's cookies are kept.
  let at = new URL(mail.verifyLink as string);
  for (let hop = 0; hop < 4 && !jar.get('posey-at'); hop++) {
    const response = await fetch(at, { headers: { cookie: jar.header() }, redirect: 'manual' });
    jar.take(response);
    const location = response.headers.get('location');
    if (!location) break;
    at = new URL(location, at);
  }
  const token = jar.get('posey-at');
  expect(token).toBeTruthy();
  // Each turn in a new conversation, so every turn reads the same (empty) history.
  const conversation = async () => {
    const created = await fetch(`${webUrl}/api/agents/v1/conversations`, {
      method: 'POST',
      headers: { cookie: jar.header(), origin: webUrl, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'bench' }),
    });
    return ((await created.json()) as { id: string }).id;
  };

  const viaBff: { first: number; done: number }[] = [];
  const direct: { first: number; done: number }[] = [];
  // Warm both paths first.
  const bff = async () => turn(`${webUrl}/api/agents/v1/conversations/${await conversation()}/messages`, { cookie: jar.header(), origin: webUrl });
  const straight = async () => turn(`${agentsUrl}/v1/conversations/${await conversation()}/messages`, { authorization: `Bearer ${token}` });
  await bff();
  await straight();
  for (let i = 0; i < TURNS; i++) {
    viaBff.push(await bff());
    direct.push(await straight());
  }
  const report = (name: string, samples: { first: number; done: number }[]) => {
    const first = samples.map((s) => s.first).sort((a, b) => a - b);
    const done = samples.map((s) => s.done).sort((a, b) => a - b);
    return `${name}: first event p50 ${percentile(first, 50).toFixed(1)} ms p99 ${percentile(first, 99).toFixed(1)} ms; done p50 ${percentile(done, 50).toFixed(1)} ms p99 ${percentile(done, 99).toFixed(1)} ms`;
  };
  // The machine's load goes with the figures: on a busy machine each hop waits for a core.
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`${TURNS} turns each, test model, alternating; load average ${load} on ${availableParallelism()} cores\n${report('through the BFF', viaBff)}\n${report('agents directly', direct)}`);
  const overhead = percentile(viaBff.map((s) => s.first).sort((a, b) => a - b), 50) - percentile(direct.map((s) => s.first).sort((a, b) => a - b), 50);
  console.log(`BFF overhead to the first event, p50: ${overhead.toFixed(1)} ms`);
});

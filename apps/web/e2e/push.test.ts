// Web Push end to end: a person turns on notifications in the app, cron stores the browser's
// subscription, and a reminder that comes due after the tab is closed is pushed to the browser's
// push service, encrypted for that browser (RFC 8291 aes128gcm) and signed for with VAPID
// (RFC 8292) — checked by decrypting it with the browser's private key.
//
// Why the browser's `PushManager.prototype.subscribe` is replaced: Chromium's real one asks
// Google's push service (FCM) for an endpoint, which this closed network cannot reach, so it
// fails. The replacement is only the browser's binding to its push service: it hands back a
// subscription like Chromium's, with real keys made here (a P-256 key pair and a 16-byte auth
// secret) and an endpoint on a receiver this test runs, standing in for FCM. Everything else is
// the product's: the app's enable button, its service worker, the BFF, cron storing the
// subscription, scheduling the reminder, encrypting, signing and posting the push.

import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify, type ECDH } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { queryDatabase } from '@posey/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { e2e, launch, newContext, noteTokens, signUp, visit } from './browser';

interface Pushed {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let browser: Browser;
let receiver: Server;
const pushes: Pushed[] = [];

/** The stand-in push service: records what is posted to it and accepts it, as FCM does (201). */
async function startReceiver(): Promise<string> {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      pushes.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((ok) => receiver?.close(ok));
});

/**
 * Replaces, in the page, the binding to the push service (see the top of this file): records
 * what the app asked for and answers with the given subscription.
 */
function replacePushServiceBinding(subscription: { endpoint: string; p256dh: string; auth: string }) {
  const toBytes = (b64url: string) => Uint8Array.from(atob(b64url.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)).buffer;
  const toBase64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const calls: { userVisibleOnly?: boolean; applicationServerKey: string | null }[] = [];
  (window as unknown as { pushSubscribeCalls: typeof calls }).pushSubscribeCalls = calls;
  PushManager.prototype.subscribe = async function subscribe(options?: PushSubscriptionOptionsInit) {
    const key = options?.applicationServerKey;
    calls.push({
      userVisibleOnly: options?.userVisibleOnly,
      applicationServerKey:
        key == null ? null : typeof key === 'string' ? key : toBase64url(key instanceof ArrayBuffer ? new Uint8Array(key) : new Uint8Array(key.buffer, key.byteOffset, key.byteLength)),
    });
    const { endpoint, p256dh, auth } = subscription;
    return {
      endpoint,
      expirationTime: null,
      options: { userVisibleOnly: options?.userVisibleOnly ?? false, applicationServerKey: key ?? null },
      getKey: (name: PushEncryptionKeyName) => toBytes(name === 'p256dh' ? p256dh : auth),
      toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
      unsubscribe: async () => true,
    } as unknown as PushSubscription;
  };
}

/** Checks the VAPID `Authorization` header (RFC 8292): an ES256 JWT for the endpoint's origin under key `k`. */
function checkVapid(header: string | undefined, audience: string): { k: string; sub: string } {
  const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(header ?? '');
  expect(match, `Authorization: ${header}`).toBeTruthy();
  const [, token, k] = match as RegExpExecArray;
  const [head, claims, signature] = token.split('.');
  expect(JSON.parse(Buffer.from(head, 'base64url').toString())).toMatchObject({ alg: 'ES256' });
  const point = Buffer.from(k, 'base64url');
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') },
    format: 'jwk',
  });
  const signed = verify('sha256', Buffer.from(`${head}.${claims}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  expect(signed, 'the VAPID token is signed by k').toBe(true);
  const { aud, exp, sub } = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { aud: string; exp: number; sub: string };
  expect(aud).toBe(audience);
  expect(exp).toBeGreaterThan(Date.now() / 1000);
  expect(exp).toBeLessThanOrEqual(Date.now() / 1000 + 86_400);
  return { k, sub };
}

/** Decrypts an `aes128gcm` push body (RFC 8188 one record, keys per RFC 8291) as the browser would. */
function decryptPush(body: Buffer, browserKey: ECDH, authSecret: Buffer): Buffer {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20];
  const serverKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  expect(idLength).toBe(65);
  expect(body.length).toBeLessThanOrEqual(recordSize);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), browserKey.getPublicKey(), serverKey]);
  const ikm = Buffer.from(hkdfSync('sha256', browserKey.computeSecret(serverKey), authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // The last record: the content, the delimiter 2, then any zero padding.
  let end = padded.length - 1;
  while (end > 0 && padded[end] === 0) end--;
  expect(padded[end], 'the last record delimiter').toBe(2);
  return padded.subarray(0, end);
}

describe('Web Push', () => {
  it('stores the subscription made in the app, and a reminder due after the tab is closed is pushed to it, encrypted and signed', async () => {
    const { webUrl, databaseUrl, vapidPublicKey } = e2e();
    const pushService = await startReceiver();
    const endpoint = `${pushService}/wpush/${randomBytes(12).toString('hex')}`;
    // The browser's side of the subscription: its P-256 key pair and auth secret.
    const browserKey = createECDH('prime256v1');
    browserKey.generateKeys();
    const authSecret = randomBytes(16);
    const subscription = { endpoint, p256dh: browserKey.getPublicKey().toString('base64url'), auth: authSecret.toString('base64url') };

    const context = await newContext(browser);
    await context.grantPermissions(['notifications'], { origin: webUrl });
    await context.addInitScript(replacePushServiceBinding, subscription);
    const page = await context.newPage();
    await signUp(page, 'pushy');
    const person = await page.evaluate(() => fetch('/api/auth/user').then((r) => r.json() as Promise<{ id: string }>));

    await visit(page, '/notifications');
    await page.getByRole('button', { name: 'Notify me on this device' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Stop notifications on this device' }).isVisible(), { timeout: 20_000 }).toBe(true);
    // The app subscribed with cron's VAPID key, for notifications the person sees.
    expect(await page.evaluate(() => (window as unknown as { pushSubscribeCalls: unknown }).pushSubscribeCalls)).toEqual([{ userVisibleOnly: true, applicationServerKey: vapidPublicKey }]);
    // Its service worker, which shows the pushes, is installed and active.
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration('/sw.js'))?.active?.scriptURL)).toBe(`${webUrl}/sw.js`);
    // Cron stored the subscription for this person, under the id the app keeps.
    const stored = await queryDatabase<{ id: string; user_id: string; p256dh: string; auth: string }>(
      databaseUrl,
      'SELECT id::text, user_id::text, p256dh, auth FROM cron.push_subscriptions WHERE endpoint = $1',
      [endpoint],
    );
    expect(stored).toEqual([{ id: expect.any(String), user_id: person.id, p256dh: subscription.p256dh, auth: subscription.auth }]);
    expect(await page.evaluate(() => localStorage.getItem('posey-push-subscription'))).toBe(stored[0].id);

    // A reminder due in a few seconds, made in the builder (a cron spec fires to the second; its
    // minute and second are the person's time zone's).
    await visit(page, '/reminders');
    const zone = /Times are in (\S+)/.exec(await page.getByText(/^Times are in /).innerText())?.[1];
    expect(zone).toBeTruthy();
    const due = new Date(Date.now() + 15_000);
    const at = Object.fromEntries(
      new Intl.DateTimeFormat('en-GB', { timeZone: zone, minute: 'numeric', second: 'numeric' }).formatToParts(due).map((p) => [p.type, p.value]),
    );
    const title = `Take the bread out of the oven ${randomBytes(3).toString('hex')}`;
    await page.getByPlaceholder('What to remind you of').fill(title);
    await page.getByPlaceholder('Note (optional)').fill('It has had its 40 minutes');
    await page.getByRole('radio', { name: 'Custom' }).check();
    await page.getByLabel('Schedule kind').selectOption('cron');
    await page.getByPlaceholder(/^0 30 8/).fill(`${Number(at.second)} ${Number(at.minute)} * * * *`);
    await page.getByRole('button', { name: 'Create reminder' }).click();
    await expect.poll(() => page.getByTestId('reminder').filter({ hasText: title }).count()).toBe(1);
    await noteTokens(context);
    // The tab closes before the reminder comes due: nothing of the app is open in the browser.
    await page.close();
    expect(Date.now(), 'the tab closed before the reminder was due').toBeLessThan(due.getTime());

    await expect.poll(() => pushes.length, { timeout: 60_000 }).toBeGreaterThan(0);
    expect(Date.now()).toBeGreaterThanOrEqual(due.getTime() - 1_000);
    const [push] = pushes;
    expect(push.method).toBe('POST');
    expect(push.path).toBe(new URL(endpoint).pathname);
    expect(push.headers['content-encoding']).toBe('aes128gcm');
    expect(Number(push.headers.ttl)).toBeGreaterThan(0);
    const vapid = checkVapid(push.headers.authorization, pushService);
    expect(vapid.k).toBe(vapidPublicKey);
    expect(vapid.sub).toMatch(/^mailto:/);
    const message = JSON.parse(decryptPush(push.body, browserKey, authSecret).toString('utf8')) as { id: string; title: string; body: string };
    expect(message).toMatchObject({ id: expect.any(String), title, body: 'It has had its 40 minutes' });
    // Nothing in the clear on the wire.
    expect(push.body.includes(Buffer.from(title))).toBe(false);
    await context.close();
  });
});

// One person's home is nobody else's, through the browser against a real agents service, the
// test broker and devices no one here wrote: Ada connects her broker, her four devices appear,
// she switches her lamp on, lets the companion control it and watches her door. Bob, signed in
// in another browser, finds an empty Home page; with a connection of his own, his devices,
// watches and activity are empty, and nothing of Ada's is anywhere on the page. Through the app's
// API her entities, connection and watch are not found for him, and what he tries on them
// leaves them as they were.

import { randomUUID } from 'node:crypto';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { callAgents, launch, newContext, noteTokens, signUp, visit } from './browser';
import { Devices, DOOR, LAMP, NAMES, required } from './home-devices';

let browser: Browser;
let adaContext: BrowserContext;
let bobContext: BrowserContext;
let ada: Page;
let bob: Page;
let devices: Devices | undefined;
/** Ada's ids and the names only she has. */
const hers = { connection: '', watch: '', prefix: `posey-e2e-ada-${randomUUID().slice(0, 8)}` };
const HER_CONNECTION = 'Ada’s rig';
const HER_WATCH = 'Ada’s door at night';

/** What of Ada's must never be on a page of Bob's. */
const adas = () => [HER_CONNECTION, HER_WATCH, ...NAMES, 'Posey Test Rig', hers.prefix, hers.connection, hers.watch];

/** A call to agents' home API through the app as the page's person. */
const call = (page: Page, method: string, path: string, body?: unknown) => callAgents(page, '/v1/home', method, path, body);

/** The page's visible text once its data is in (`aria-busy` gone). */
async function text(page: Page): Promise<string> {
  await expect.poll(() => page.locator('[aria-busy="true"]').count()).toBe(0);
  return page.locator('body').innerText();
}

beforeAll(async () => {
  browser = await launch();
  adaContext = await newContext(browser);
  bobContext = await newContext(browser);
  ada = await adaContext.newPage();
  bob = await bobContext.newPage();
  await signUp(ada, 'ada');
  await signUp(bob, 'bob');
});

afterAll(async () => {
  devices?.kill();
  for (const context of [adaContext, bobContext]) if (context) await noteTokens(context);
  await browser?.close();
});

describe('a home between two people', () => {
  it('lets Ada connect her devices, command them, expose and watch them, and shows them to her', async () => {
    const python = required('TEST_AGENTS_PYTHON', 'the Python with ha-mqtt-discoverable that runs the devices');
    const brokerUrl = required('TEST_MQTT_URL', 'the test MQTT broker (Mosquitto) the devices and agents meet on');
    await visit(ada, '/home');
    const made = await call(ada, 'POST', '/connections', { kind: 'mqtt', name: HER_CONNECTION, url: brokerUrl, discovery_prefix: hers.prefix });
    expect(made.status, JSON.stringify(made.json)).toBe(201);
    hers.connection = made.json.id as string;
    devices = await Devices.start(python, brokerUrl, hers.prefix);
    await expect
      .poll(
        async () => {
          const list = await call(ada, 'GET', '/entities');
          const states = (list.json.entities as { state: string }[]).map((e) => e.state);
          return states.length === 4 && !states.includes('unknown');
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    const from = devices.lines.length;
    const on = await call(ada, 'POST', `/entities/${LAMP}/commands`, { action: 'turn_on' });
    expect(on.status, JSON.stringify(on.json)).toBe(200);
    expect(await devices.next('command light', from)).toContain('ON');
    expect((await call(ada, 'PUT', '/exposure', { controllable_entities: [LAMP], ask_first_entities: [DOOR] })).status).toBe(200);
    const watch = await call(ada, 'POST', '/watches', { entity_id: DOOR, name: HER_WATCH, to: 'unlocked', window: { start: '23:00', end: '06:00' } });
    expect(watch.status, JSON.stringify(watch.json)).toBe(201);
    hers.watch = watch.json.id as string;

    await visit(ada, '/home');
    const seen = await text(ada);
    for (const name of [HER_CONNECTION, HER_WATCH, ...NAMES]) expect(seen, `Ada's page shows ${name}`).toContain(name);
    expect(await ada.getByTestId('entity').count()).toBe(4);
    expect(await ada.getByTestId('watch').count()).toBe(1);
    expect(await ada.getByTestId('audit').locator('tbody tr').count()).toBe(1);
    expect(await ada.getByRole('checkbox', { name: 'Companion controls Desk lamp' }).isChecked()).toBe(true);
    expect(await ada.getByRole('checkbox', { name: 'Always ask first for Front door' }).isChecked()).toBe(true);
  });

  it('shows Bob an empty Home page, and with a connection of his own, none of Ada’s devices, watches or activity', async () => {
    await visit(bob, '/home');
    let seen = await text(bob);
    expect(await bob.getByTestId('home-empty').count()).toBe(1);
    expect(seen).toContain('Nothing connected yet.');
    for (const secret of adas()) expect(seen, `Bob's empty page shows ${secret}`).not.toContain(secret);
    expect(await bob.getByTestId('connection').count()).toBe(0);

    // His own broker, with nothing announcing under his prefix: the page's every part shows.
    const brokerUrl = required('TEST_MQTT_URL', 'the test MQTT broker');
    const his = await call(bob, 'POST', '/connections', { kind: 'mqtt', name: 'Bob’s broker', url: brokerUrl, discovery_prefix: `posey-e2e-bob-${randomUUID().slice(0, 8)}` });
    expect(his.status, JSON.stringify(his.json)).toBe(201);
    await visit(bob, '/home');
    seen = await text(bob);
    expect(await bob.getByTestId('home-empty').count()).toBe(0);
    expect(await bob.getByTestId('connection').count()).toBe(1);
    expect(await bob.locator('[data-testid="connection"][data-name="Bob’s broker"]').count()).toBe(1);
    expect(seen).toContain('No devices yet');
    expect(seen).toContain('No watches yet.');
    expect(seen).toContain('Nothing done yet.');
    expect(await bob.getByTestId('entity').count()).toBe(0);
    expect(await bob.getByTestId('watch').count()).toBe(0);
    expect(await bob.getByTestId('audit').count()).toBe(0);
    for (const secret of adas()) expect(seen, `Bob's page shows ${secret}`).not.toContain(secret);
    // Nor in what the page holds but does not show (the watch form's choices, attributes). The
    // devices' plain names are left out here: the page's own placeholders name a front door.
    const html = await bob.content();
    for (const secret of adas().filter((s) => !NAMES.includes(s))) expect(html, `Bob's page holds ${secret}`).not.toContain(secret);
    expect(html).not.toContain(LAMP);
    expect(html).not.toContain(DOOR);
  });

  it('answers Bob not found for Ada’s entities, connection and watch through the app’s API, and leaves them as they were', async () => {
    await visit(bob, '/home');
    for (const [method, path, body] of [
      ['GET', `/entities/${LAMP}`, undefined],
      ['GET', `/entities/${DOOR}/history`, undefined],
      ['POST', `/entities/${LAMP}/commands`, { action: 'turn_off' }],
      ['POST', `/entities/${DOOR}/commands`, { action: 'unlock' }],
      ['DELETE', `/connections/${hers.connection}`, undefined],
      ['DELETE', `/watches/${hers.watch}`, undefined],
    ] as const) {
      const answer = await call(bob, method, path, body);
      expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.json)}`).toBe(404);
      for (const secret of adas()) expect(JSON.stringify(answer.json)).not.toContain(secret);
    }
    for (const path of ['/entities', '/watches', '/audit']) {
      const answer = await call(bob, 'GET', path);
      expect(answer.status).toBe(200);
      for (const secret of adas()) expect(JSON.stringify(answer.json), `${path} shows ${secret}`).not.toContain(secret);
    }
    const exposure = await call(bob, 'GET', '/exposure');
    expect(exposure.json).toMatchObject({ controllable_entities: [], ask_first_entities: [] });

    // Ada's home is as she left it: her lamp on, her door locked, her watch and connection there.
    expect(devices?.commandsSince(0)).toHaveLength(1);
    const list = await call(ada, 'GET', '/entities');
    const state = (id: string) => (list.json.entities as { entity_id: string; state: string }[]).find((e) => e.entity_id === id)?.state;
    expect([state(LAMP), state(DOOR)]).toEqual(['on', 'locked']);
    expect(((await call(ada, 'GET', '/watches')).json.watches as { id: string }[]).map((w) => w.id)).toEqual([hers.watch]);
    expect(((await call(ada, 'GET', '/connections')).json.connections as { id: string }[]).map((c) => c.id)).toEqual([hers.connection]);
    await devices?.quit();
  });
});

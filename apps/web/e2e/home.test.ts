// The Home page through the browser against a real agents service, a real broker (the harness's
// Mosquitto) and devices no one here wrote (ha-mqtt-discoverable's, posey-testkit's
// mqtt_devices.py): the empty page explains what to connect; an MQTT connection made through the
// form brings the devices' four entities; the lamp is switched on from the page and the device
// gets the command; the front door unlocks only after the confirm dialog's yes (a cancel sends
// nothing) and locks again; the companion's control of the lamp is kept by agents across a
// reload; the activity names every command; a watch is made and listed; axe finds nothing serious.

import { randomUUID } from 'node:crypto';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launch, newContext, noteTokens, screenshot, serious, signUp, visit } from './browser';
import { Devices, DOOR, LAMP, NAMES, required } from './home-devices';

let browser: Browser;
let context: BrowserContext;
let page: Page;
let devices: Devices | undefined;

beforeAll(async () => {
  browser = await launch();
  context = await newContext(browser);
  page = await context.newPage();
});

afterAll(async () => {
  devices?.kill();
  await noteTokens(context);
  await browser?.close();
});

/** What agents answers the browser's session for `path` (through the BFF). */
async function agents<T>(path: string): Promise<T> {
  return page.evaluate(async (p) => {
    const r = await fetch(`/api/agents${p}`, { headers: { accept: 'application/json' } });
    if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
    return r.json() as Promise<T>;
  }, path);
}

const card = (entityId: string) => page.locator(`[data-testid="entity"][data-entity-id="${entityId}"]`);
const stateOf = (entityId: string) => card(entityId).getByTestId('entity-state').innerText();

/** Axe's serious findings once nothing on the page is busy. */
async function settledProblems(): Promise<string[]> {
  await expect.poll(() => page.locator('[aria-busy="true"]').count()).toBe(0);
  return serious(page);
}

describe('home', () => {
  it('connects a broker, shows its devices, runs commands with a confirm for the lock, and keeps exposure, activity and watches', async () => {
    const python = required('TEST_AGENTS_PYTHON', 'the Python with ha-mqtt-discoverable that runs the devices');
    const brokerUrl = required('TEST_MQTT_URL', 'the test MQTT broker (Mosquitto) the devices and agents meet on');
    const prefix = `posey-e2e-home-${randomUUID().slice(0, 8)}`;

    await signUp(page, 'hana');
    await visit(page, '/home');
    expect(await page.getByRole('link', { name: 'Home', exact: true }).first().getAttribute('aria-current')).toBe('page');
    expect(await page.getByTestId('home-empty').innerText()).toContain('Connect your home');
    expect(await page.getByText('Nothing connected yet.').count()).toBe(1);
    expect(await settledProblems()).toEqual([]);

    // The broker through the form: MQTT, its address and a discovery prefix of this run's own.
    const form = page.getByRole('form', { name: 'Add a connection' });
    await form.getByRole('radio', { name: 'MQTT broker' }).check();
    await form.getByLabel('Name').fill('Test rig');
    await form.getByLabel(/^Broker address/).fill(brokerUrl);
    await form.getByLabel('Discovery prefix').fill(prefix);
    await form.getByRole('button', { name: 'Connect the broker' }).click();
    await expect.poll(() => page.getByRole('status').allInnerTexts()).toContain('Added “Test rig” (connected). Its devices appear below as they are found.');
    const connection = page.locator('[data-testid="connection"][data-name="Test rig"]');
    expect(await connection.innerText()).toContain(brokerUrl.replace(/\/$/, ''));
    expect(await page.getByTestId('home-empty').count()).toBe(0);

    // The devices announce themselves under that prefix; the page shows them once it reads again.
    // A discovered entity is "unknown" until its retained state arrives on the state topic it was
    // subscribed to after the discovery message, so the page is read again until all four report.
    devices = await Devices.start(python, brokerUrl, prefix);
    await expect
      .poll(
        async () => {
          await visit(page, '/home');
          const states = await page.getByTestId('entity-state').allInnerTexts();
          return states.length === 4 && !states.includes('unknown');
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    expect(await connection.innerText()).toMatch(/Connected[\s\S]*4 entities/);
    // Announced without an area: all under "No area", each naming its device.
    const area = page.locator('[data-testid="area"][data-area="No area"]');
    expect((await area.getByRole('heading', { level: 4 }).allInnerTexts()).map((t) => t.trim())).toEqual(NAMES);
    expect(await area.getByTestId('entity-device').allInnerTexts()).toEqual(NAMES.map(() => 'Posey Test Rig'));
    expect(await stateOf(LAMP)).toBe('off');
    expect(await stateOf(DOOR)).toBe('locked');
    expect(await stateOf('sensor.posey_test_rig_living_room_temperature')).toBe('21.5 °C');
    expect(await card(DOOR).innerText()).toContain('asks first');

    // The lamp on from the page: the device gets it and the page shows what it reported.
    let from = devices.lines.length;
    const lampSwitch = page.getByRole('switch', { name: 'On Desk lamp' });
    expect(await lampSwitch.isChecked()).toBe(false);
    await lampSwitch.click();
    const said = await devices.next('command light', from);
    expect(said).toContain('ON');
    await expect.poll(() => stateOf(LAMP)).toMatch(/^on/);
    await expect.poll(() => lampSwitch.isChecked()).toBe(true);
    expect(devices.commandsSince(from)).toEqual([said]);

    // Unlocking asks first: a cancel sends nothing; the yes unlocks.
    from = devices.lines.length;
    await page.getByRole('button', { name: 'Unlock Front door', exact: true }).click();
    let dialog = page.getByRole('dialog', { name: 'Unlock Front door?' });
    await dialog.waitFor();
    expect(await settledProblems()).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await stateOf(DOOR)).toBe('locked');
    await page.getByRole('button', { name: 'Unlock Front door', exact: true }).click();
    dialog = page.getByRole('dialog', { name: 'Unlock Front door?' });
    await dialog.getByRole('button', { name: 'Unlock', exact: true }).click();
    expect(await devices.next('command lock', from)).toBe('command lock UNLOCK');
    await expect.poll(() => stateOf(DOOR)).toBe('unlocked');
    // The cancelled one never reached the lock: the yes was its only command.
    expect(devices.commandsSince(from)).toEqual(['command lock UNLOCK']);

    // Locking again needs no yes.
    from = devices.lines.length;
    await page.getByRole('button', { name: 'Lock Front door', exact: true }).click();
    expect(await devices.next('command lock', from)).toBe('command lock LOCK');
    await expect.poll(() => stateOf(DOOR)).toBe('locked');
    expect(await page.getByRole('dialog').count()).toBe(0);

    // The companion may control the lamp (and so see it); agents keeps that across a reload.
    const controls = page.getByRole('checkbox', { name: 'Companion controls Desk lamp' });
    expect(await controls.isChecked()).toBe(false);
    await controls.click();
    await expect.poll(() => controls.isChecked()).toBe(true);
    await expect.poll(async () => (await agents<{ controllable_entities: string[] }>('/v1/home/exposure')).controllable_entities).toEqual([LAMP]);
    await visit(page, '/home');
    expect(await page.getByRole('checkbox', { name: 'Companion controls Desk lamp' }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'Companion sees Desk lamp' }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'Companion controls Front door' }).isChecked()).toBe(false);
    const entities = await agents<{ entities: { entity_id: string; visible: boolean; controllable: boolean }[] }>('/v1/home/entities');
    expect(entities.entities.filter((e) => e.controllable).map((e) => e.entity_id)).toEqual([LAMP]);

    // The activity names each command, newest first, all the person's and done.
    const audit = page.getByTestId('audit');
    const rows = (await audit.locator('tbody tr').allInnerTexts()).map((r) => r.replace(/\s+/g, ' '));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/ You Lock Front door Done /);
    expect(rows[1]).toMatch(/ You Unlock Front door Done /);
    expect(rows[2]).toMatch(/ You Turn on Desk lamp Done /);

    // A watch on the front door at night, made through the form and listed (after a reload too).
    const watch = page.getByRole('form', { name: 'New watch' });
    await watch.getByLabel('Entity').selectOption({ label: 'Front door' });
    await watch.getByLabel('Name (the notification’s title)').fill('Front door unlocked at night');
    await watch.getByLabel('When it becomes').fill('unlocked');
    await watch.getByLabel('From (optional)').fill('locked');
    await watch.getByLabel('Window start').fill('23:00');
    await watch.getByLabel('Window end').fill('06:00');
    await watch.getByRole('button', { name: 'Save watch' }).click();
    await expect.poll(() => page.getByRole('status').allInnerTexts()).toContain('Saved the watch “Front door unlocked at night”.');
    const listed = page.locator('[data-testid="watch"][data-name="Front door unlocked at night"]');
    expect(await listed.innerText()).toContain('Front door locked → unlocked, between 23:00 and 06:00');
    await visit(page, '/home');
    expect(await listed.innerText()).toContain('Front door locked → unlocked, between 23:00 and 06:00');
    const watches = await agents<{ watches: { entity_id: string; to: string | null }[] }>('/v1/home/watches');
    expect(watches.watches.map((w) => [w.entity_id, w.to])).toEqual([[DOOR, 'unlocked']]);

    expect(await settledProblems()).toEqual([]);
    await screenshot(page, 'home');

    await devices.quit();
  });
});

// The calendar page through the browser: a weekly event made from the form (its mistakes said
// per field first) lands on the right days in the week and month views, at the same wall-clock
// hour after the change to summer time; one occurrence is deleted, a delete on a stale ETag is
// refused until a reload, an .ics import reports what it did, the private feed URL serves the
// calendar through the web app until revoked, an event's name and time are changed (and one
// occurrence of a series only), a change on a stale ETag is refused until a reload, and a to-do
// is added and ticked off.

import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { e2e, launch, newContext, noteTokens, screenshot, serious, signUp, visit } from './browser';
import { ARTIFACTS } from './setup';

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

/** The days of the month view that show an event named `name`. */
async function daysWith(name: string): Promise<string[]> {
  return page
    .locator('td[data-date]')
    .filter({ has: page.getByTestId('event').filter({ hasText: name }) })
    .evaluateAll((cells) => cells.map((c) => (c as HTMLElement).dataset.date ?? ''));
}

/** Opens the occurrence named `name` on `date` in the month view. */
async function openOn(date: string, name: string) {
  await page.locator(`td[data-date="${date}"]`).getByTestId('event').filter({ hasText: name }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  return dialog;
}

const ICS = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Posey e2e//EN',
  'BEGIN:VEVENT',
  'UID:dentist-1@example.test',
  'DTSTAMP:20270101T000000Z',
  'DTSTART:20270311T090000Z',
  'DTEND:20270311T094500Z',
  'SUMMARY:Dentist',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:holiday-1@example.test',
  'DTSTAMP:20270101T000000Z',
  'DTSTART;VALUE=DATE:20270319',
  'DTEND;VALUE=DATE:20270320',
  'SUMMARY:Bank holiday',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

describe('the calendar', () => {
  it('makes a weekly event from the form and shows it in the week and month views', async () => {
    await signUp(page, 'clara');
    // Paris, which moves to summer time on Sunday 28 March 2027.
    const zone = await page.evaluate(async () => {
      const r = await fetch('/api/agents/v1/profile', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ time_zone: 'Europe/Paris' }) });
      return ((await r.json()) as { time_zone: string }).time_zone;
    });
    expect(zone).toBe('Europe/Paris');

    await visit(page, '/calendar?view=week&date=2027-03-02');
    expect(await page.getByTestId('calendar-title').innerText()).toBe('1 – 7 March 2027');
    await page.getByRole('button', { name: 'New event' }).click();
    const form = page.getByRole('dialog', { name: 'New event' });
    // Nothing filled in: the form says what is missing, under the field.
    await form.getByRole('button', { name: 'Create event' }).click();
    await expect.poll(() => form.getByTestId('error-summary').innerText()).toBe('Give the event a name.');
    expect(await form.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    expect(await serious(page)).toEqual([]);

    await form.getByLabel('Name').fill('Choir practice');
    await form.getByLabel('Date', { exact: true }).fill('2027-03-02');
    await form.getByLabel('Starts').fill('18:00');
    await form.getByLabel('Ends').fill('19:30');
    await form.getByLabel('Repeats').selectOption('weekly');
    expect(await form.getByLabel('Repeats').locator('option:checked').innerText()).toBe('Every week on Tuesday');
    await form.getByLabel('Where (optional)').fill('Town hall');
    await form.getByLabel('15 minutes before').check();
    await form.getByRole('button', { name: 'Create event' }).click();
    await expect.poll(() => page.getByRole('status').first().innerText()).toBe('Created “Choir practice” on Tue 2 Mar.');
    expect(await form.count()).toBe(0);

    // Tuesday's column, at 18:00 in Paris; nowhere else that week.
    const tuesday = page.locator('ul[data-date="2027-03-02"]:not([data-row])');
    await expect.poll(() => tuesday.getByTestId('event').count()).toBe(1);
    expect(await tuesday.locator('li').getAttribute('data-top')).toBe(String(18 * 60));
    expect(await tuesday.getByTestId('event').innerText()).toMatch(/18:00–19:30 ↻ Choir practice/);
    expect(await tuesday.getByTestId('event').textContent()).toContain('repeats');
    expect(await page.getByTestId('event').count()).toBe(1);
    expect(await serious(page)).toEqual([]);
    await screenshot(page, 'calendar_week');

    // After the clocks go forward it is still at 18:00 on Tuesdays.
    await page.getByRole('link', { name: 'Next week' }).click();
    await page.waitForURL(/date=2027-03-08/);
    await visit(page, '/calendar?view=week&date=2027-03-31');
    const after = page.locator('ul[data-date="2027-03-30"]:not([data-row])');
    await expect.poll(() => after.getByTestId('event').count()).toBe(1);
    expect(await after.locator('li').getAttribute('data-top')).toBe(String(18 * 60));

    await visit(page, '/calendar?view=month&date=2027-03-15');
    expect(await page.getByTestId('calendar-title').innerText()).toBe('March 2027');
    expect(await daysWith('Choir practice')).toEqual(['2027-03-02', '2027-03-09', '2027-03-16', '2027-03-23', '2027-03-30']);
    expect(await serious(page)).toEqual([]);
    await screenshot(page, 'calendar_month');

    const details = await openOn('2027-03-09', 'Choir practice');
    expect(await details.getByTestId('event-details').innerText()).toMatch(/Tuesday 9 March 2027, 18:00–19:30 \(Europe\/Paris\)[\s\S]*Town hall[\s\S]*Reminder\s+15 minutes before/);
    expect(await serious(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/calendar_event.png` });
    await details.getByRole('button', { name: 'Close', exact: true }).click();

    await visit(page, '/calendar?view=agenda&date=2027-03-01');
    const agendaDay = page.locator('section[data-date="2027-03-09"]');
    expect(await agendaDay.getByRole('heading').innerText()).toBe('Tuesday 9 March');
    expect(await agendaDay.getByTestId('event').innerText()).toMatch(/18:00–19:30\s+↻ Choir practice/);
    expect(await page.locator('section[data-date]').count()).toBe(2);
    expect(await serious(page)).toEqual([]);
    await screenshot(page, 'calendar_agenda');
  });

  it('deletes one occurrence, refuses a delete on a stale ETag until a reload, and deletes this and the following', async () => {
    await visit(page, '/calendar?view=month&date=2027-03-01');
    let dialog = await openOn('2027-03-09', 'Choir practice');
    await dialog.getByRole('button', { name: 'Delete this occurrence' }).click();
    await expect.poll(() => page.getByRole('status').first().innerText()).toBe('Deleted “Choir practice” on Tue 9 Mar.');
    await expect.poll(() => daysWith('Choir practice')).toEqual(['2027-03-02', '2027-03-16', '2027-03-23', '2027-03-30']);

    // Another device changes the event: this page's ETag is now stale.
    await page.evaluate(async () => {
      const list = (await (await fetch('/api/agents/v1/events?from=2027-03-01T00:00:00Z&to=2027-04-01T00:00:00Z')).json()) as { occurrences: { event_id: string }[] };
      const r = await fetch(`/api/agents/v1/events/${list.occurrences[0].event_id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ location: 'Church hall' }) });
      if (!r.ok) throw new Error(`PATCH ${r.status}`);
    });
    dialog = await openOn('2027-03-16', 'Choir practice');
    await dialog.getByRole('button', { name: 'Delete this occurrence' }).click();
    await expect.poll(() => dialog.getByRole('alert').innerText()).toMatch(/changed on another device — reload/);
    await dialog.getByRole('button', { name: 'Reload' }).click();
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    // The page is fetched again (busy until then).
    await expect.poll(() => page.locator('section[aria-labelledby="calendar-title"]').getAttribute('aria-busy')).toBe('false');
    await expect.poll(() => daysWith('Choir practice')).toEqual(['2027-03-02', '2027-03-16', '2027-03-23', '2027-03-30']);

    dialog = await openOn('2027-03-23', 'Choir practice');
    expect(await dialog.getByTestId('event-details').innerText()).toContain('Church hall');
    await dialog.getByRole('button', { name: 'Delete this and following' }).click();
    await expect.poll(() => daysWith('Choir practice')).toEqual(['2027-03-02', '2027-03-16']);

    // One occurrence cancelled (from elsewhere): still shown, struck through, and said so.
    await page.evaluate(async () => {
      const list = (await (await fetch('/api/agents/v1/events?from=2027-03-15T00:00:00Z&to=2027-03-17T00:00:00Z')).json()) as { occurrences: { event_id: string; occurrence: string }[] };
      const [o] = list.occurrences;
      const q = new URLSearchParams({ scope: 'this', occurrence: o.occurrence });
      const r = await fetch(`/api/agents/v1/events/${o.event_id}?${q}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'cancelled' }) });
      if (!r.ok) throw new Error(`PATCH ${r.status}`);
    });
    await visit(page, '/calendar?view=month&date=2027-03-01');
    const cancelled = page.locator('td[data-date="2027-03-16"]').getByTestId('event');
    expect(await cancelled.locator('.line-through').innerText()).toBe('Choir practice');
    expect(await cancelled.textContent()).toContain('cancelled');
  });

  it('imports an .ics file and shows what the import did', async () => {
    await visit(page, '/calendar?view=month&date=2027-03-01');
    const personal = page.getByTestId('calendar').filter({ hasText: 'Personal' });
    await personal.getByLabel('Import an .ics file into Personal').setInputFiles({ name: 'small.ics', mimeType: 'text/calendar', buffer: Buffer.from(ICS) });
    await expect.poll(() => personal.getByTestId('import-report').innerText()).toBe('Imported into Personal: 2 added, 0 updated, 0 unchanged.');
    await expect.poll(() => daysWith('Dentist')).toEqual(['2027-03-11']);
    expect(await daysWith('Bank holiday')).toEqual(['2027-03-19']);
    // 09:00 UTC is 10:00 in Paris.
    expect(await page.locator('td[data-date="2027-03-11"]').getByTestId('event').innerText()).toMatch(/^10:00 Dentist/);
    await screenshot(page, 'calendar_imported');

    // The same file again changes nothing.
    await personal.getByLabel('Import an .ics file into Personal').setInputFiles({ name: 'small.ics', mimeType: 'text/calendar', buffer: Buffer.from(ICS) });
    await expect.poll(() => personal.getByTestId('import-report').innerText()).toBe('Imported into Personal: 0 added, 0 updated, 2 unchanged.');

    // A file that is not a calendar is refused, saying why.
    await personal.getByLabel('Import an .ics file into Personal').setInputFiles({ name: 'notes.ics', mimeType: 'text/calendar', buffer: Buffer.from('hello') });
    await expect.poll(() => personal.getByRole('alert').innerText()).toMatch(/The file/);
  });

  it('makes a private feed URL served through the web app, and revokes it', async () => {
    const personal = page.getByTestId('calendar').filter({ hasText: 'Personal' });
    await personal.getByRole('button', { name: 'Make a feed URL' }).click();
    const url = await (async () => {
      await expect.poll(() => personal.getByTestId('feed-url').count()).toBe(1);
      return personal.getByTestId('feed-url').inputValue();
    })();
    expect(url).toMatch(new RegExp(`^${e2e().webUrl}/feeds/[A-Za-z0-9_-]+\\.ics$`));
    // A calendar app has no session: the token alone opens it. (The server listens on 127.0.0.1.)
    const direct = url.replace('//localhost:', '//127.0.0.1:');
    const feed = await fetch(direct);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toMatch(/^text\/calendar/);
    const text = await feed.text();
    expect(text).toContain('SUMMARY:Choir practice');
    expect(text).toContain('SUMMARY:Dentist');

    await personal.getByRole('button', { name: 'Revoke feed' }).click();
    await expect.poll(async () => (await fetch(direct)).status).toBe(404);
    expect(await serious(page)).toEqual([]);
  });

  it('changes an event’s name and time, one occurrence of a series only, and refuses a change on a stale ETag until a reload', async () => {
    await visit(page, '/calendar?view=month&date=2027-03-01');
    // A mark on this page that a full reload would wipe.
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    const form = page.getByRole('dialog', { name: 'Edit event' });

    // The imported appointment (09:00 UTC): the form has it as it is, in Paris time.
    let dialog = await openOn('2027-03-11', 'Dentist');
    await dialog.getByRole('button', { name: 'Edit' }).click();
    await form.getByLabel('Name').waitFor();
    expect(await form.getByLabel('Name').inputValue()).toBe('Dentist');
    expect(await form.getByLabel('Date', { exact: true }).inputValue()).toBe('2027-03-11');
    expect(await form.getByLabel('Starts').inputValue()).toBe('10:00');
    expect(await form.getByLabel('Ends').inputValue()).toBe('10:45');
    expect(await form.getByLabel('Time zone').inputValue()).toBe('Europe/Paris');
    expect(await form.getByLabel('Repeats').inputValue()).toBe('none');
    expect(await serious(page)).toEqual([]);
    await form.getByLabel('Name').fill('Dentist (check-up)');
    await form.getByLabel('Date', { exact: true }).fill('2027-03-12');
    await form.getByLabel('Starts').fill('14:00');
    await form.getByLabel('Ends').fill('15:00');
    await form.getByLabel('1 hour before').check();

    // Agents refusing a field (a 422, made up here: the form lets nothing through that agents would
    // refuse): its message under that field, and the form stays open with what was typed.
    const isEvent = (url: URL) => url.pathname.startsWith('/api/agents/v1/events/');
    const refuse = (route: Route) =>
      route.request().method() === 'PATCH'
        ? route.fulfill({ status: 422, contentType: 'application/json', body: JSON.stringify({ error: { code: 'validation_failed', message: 'the request has invalid fields', fields: { summary: ['must be at most 500 characters'] } } }) })
        : route.fallback();
    await page.route(isEvent, refuse);
    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => form.getByTestId('error-summary').innerText()).toBe('Must be at most 500 characters');
    expect(await form.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByLabel('Name').inputValue()).toBe('Dentist (check-up)');
    await page.unroute(isEvent, refuse);

    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').first().innerText()).toBe('Saved “Dentist (check-up)”.');
    expect(await form.count()).toBe(0);
    // The month shows it on its new day at its new time, without the page being loaded again.
    await expect.poll(() => daysWith('Dentist')).toEqual(['2027-03-12']);
    expect(await page.locator('td[data-date="2027-03-12"]').getByTestId('event').innerText()).toMatch(/^14:00 Dentist \(check-up\)/);
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
    dialog = await openOn('2027-03-12', 'Dentist (check-up)');
    expect(await dialog.getByTestId('event-details').innerText()).toMatch(/Friday 12 March 2027, 14:00–15:00 \(Europe\/Paris\)[\s\S]*Reminder\s+1 hour before/);
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();

    // One occurrence of the weekly choir (2 March), for this event only.
    dialog = await openOn('2027-03-02', 'Choir practice');
    await dialog.getByRole('button', { name: 'Edit' }).click();
    await form.getByLabel('Name').waitFor();
    expect(await form.getByLabel('Starts').inputValue()).toBe('18:00');
    expect(await form.getByLabel('15 minutes before').isChecked()).toBe(true);
    // Its repeat as the series has it now (deleting the 23rd and after ended it there), kept.
    expect(await form.getByLabel('Repeats').locator('option:checked').innerText()).toBe('Every week on Tuesday, until Tue 23 Mar 17:59');
    await form.getByLabel('Name').fill('Choir (sectionals)');
    await form.getByLabel('Starts').fill('17:00');
    await form.getByLabel('Ends').fill('18:30');
    await form.getByRole('button', { name: 'Save' }).click();
    const which = form.getByRole('group', { name: 'This event repeats. Save the change for:' });
    await which.waitFor();
    expect(await serious(page)).toEqual([]);
    await screenshot(page, 'calendar_edit_scope');
    await which.getByRole('button', { name: 'This event' }).click();
    await expect.poll(() => page.getByRole('status').first().innerText()).toBe('Saved “Choir (sectionals)” on Tue 2 Mar.');
    await expect.poll(() => daysWith('Choir (sectionals)')).toEqual(['2027-03-02']);
    expect(await daysWith('Choir practice')).toEqual(['2027-03-16']);
    expect(await page.locator('td[data-date="2027-03-02"]').getByTestId('event').innerText()).toMatch(/^17:00 ↻ Choir \(sectionals\)/);
    // The series itself is as it was.
    const series = await page.evaluate(async () => {
      const list = (await (await fetch('/api/agents/v1/events?from=2027-03-01T00:00:00Z&to=2027-03-03T00:00:00Z')).json()) as { occurrences: { event_id: string }[] };
      const event = (await (await fetch(`/api/agents/v1/events/${list.occurrences[0].event_id}`)).json()) as { summary: string; start: { date_time: string } };
      return { summary: event.summary, start: event.start.date_time };
    });
    expect(series).toEqual({ summary: 'Choir practice', start: '2027-03-02T18:00:00' });

    // Another device changes the appointment: this page's ETag is now stale.
    await page.evaluate(async () => {
      const list = (await (await fetch('/api/agents/v1/events?from=2027-03-12T00:00:00Z&to=2027-03-13T00:00:00Z')).json()) as { occurrences: { event_id: string; summary: string }[] };
      const dentist = list.occurrences.find((o) => o.summary.startsWith('Dentist'));
      const r = await fetch(`/api/agents/v1/events/${dentist?.event_id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ location: 'Clinic on the square' }) });
      if (!r.ok) throw new Error(`PATCH ${r.status}`);
    });
    dialog = await openOn('2027-03-12', 'Dentist (check-up)');
    await dialog.getByRole('button', { name: 'Edit' }).click();
    await form.getByLabel('Name').fill('Dentist (moved)');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => form.getByRole('alert').filter({ hasText: 'another device' }).innerText()).toMatch(/changed on another device — reload/);
    expect(await form.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await form.getByRole('button', { name: 'Reload' }).click();
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await expect.poll(() => page.locator('section[aria-labelledby="calendar-title"]').getAttribute('aria-busy')).toBe('false');
    // Nothing was overwritten: the other device's change is there, the name as it was.
    dialog = await openOn('2027-03-12', 'Dentist (check-up)');
    expect(await dialog.getByTestId('event-details').innerText()).toContain('Clinic on the square');
    // Read again, the change goes through.
    await dialog.getByRole('button', { name: 'Edit' }).click();
    await form.getByLabel('Name').fill('Dentist (moved)');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').first().innerText()).toBe('Saved “Dentist (moved)”.');
    await expect.poll(() => daysWith('Dentist (moved)')).toEqual(['2027-03-12']);

    // The week and the agenda show the changes too.
    await visit(page, '/calendar?view=week&date=2027-03-08');
    const friday = page.locator('ul[data-date="2027-03-12"]:not([data-row])');
    expect(await friday.locator('li').getAttribute('data-top')).toBe(String(14 * 60));
    expect(await friday.getByTestId('event').innerText()).toMatch(/14:00–15:00 Dentist \(moved\)/);
    await visit(page, '/calendar?view=agenda&date=2027-03-01');
    expect(await page.locator('section[data-date="2027-03-02"]').getByTestId('event').innerText()).toMatch(/17:00–18:30\s+↻ Choir \(sectionals\)/);
  });

  it('adds a to-do and ticks it off', async () => {
    await visit(page, '/calendar');
    await page.getByPlaceholder('Something to do').fill('Buy a music stand');
    await page.getByLabel('Due').fill('2027-03-05');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const todo = page.getByTestId('todo').filter({ hasText: 'Buy a music stand' });
    await expect.poll(() => todo.count()).toBe(1);
    expect(await todo.innerText()).toMatch(/due Fri 5 Mar/);
    // Not `check()`: that reads the box again after the click, and the to-do may have left the
    // list by then. Two quick clicks complete it once: the second finds the box still.
    await todo.getByRole('checkbox', { name: 'Done: Buy a music stand' }).dblclick();
    await expect.poll(() => todo.count()).toBe(0);
    await expect.poll(() => page.locator('section[aria-labelledby="todos-title"] [role="status"]').innerText()).toBe('Done: “Buy a music stand”.');
    expect(await page.locator('section[aria-labelledby="todos-title"] [role="alert"]').count()).toBe(0);
    const done = await page.evaluate(async () => ((await (await fetch('/api/agents/v1/todos?status=done')).json()) as { todos: { summary: string }[] }).todos.map((t) => t.summary));
    expect(done).toEqual(['Buy a music stand']);
  });

  it('fits a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const view of ['agenda', 'week', 'month']) {
      await visit(page, `/calendar?view=${view}&date=2027-03-01`);
      expect(await serious(page), view).toEqual([]);
      // Wide views scroll inside themselves; the page itself does not scroll sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth), view).toBeLessThanOrEqual(390);
      await screenshot(page, `phone_calendar_${view}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});

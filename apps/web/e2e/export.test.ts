// A person's export from Settings: the link downloads one whole zip (its end-of-archive record
// present) through the BFF, whose entries include the account from auth, the reminders from cron
// and the memory just made, so every service took part; the page follows the export's progress
// to its end and gives the number of files the zip holds. What is inside each file is checked by
// the services' own tests.

import { readFile } from 'node:fs/promises';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launch, newContext, noteTokens, signUp, visit } from './browser';

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

describe('your data', () => {
  it('downloads everything as one zip from Settings', async () => {
    await signUp(page, 'exporter');
    const made = await page.evaluate(async () => {
      const r = await fetch('/api/agents/v1/memories', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'Keeps the spare key with the neighbour' }),
      });
      return r.status;
    });
    expect(made).toBe(201);

    await visit(page, '/settings');
    const link = page.getByRole('link', { name: 'Download everything (zip)' });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/^posey-export-\d{4}-\d{2}-\d{2}\.zip$/);
    const path = await download.path();
    const zip = await readFile(path);
    // A local file header first, the end of central directory record last.
    expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
    expect(zip.subarray(zip.length - 22, zip.length - 18).toString('latin1')).toBe('PK\u0005\u0006');
    // The central directory names every entry in plain text.
    const names = zip.toString('latin1');
    for (const name of ['README.md', 'account.json', 'memory/memories.json', 'profile/profile.json', 'reminders/tasks.json', 'actions.json']) {
      expect(names, name).toContain(name);
    }
    // The page follows the export to its end and says what was written.
    const progress = page.getByTestId('export-progress');
    await progress.getByText(/Your export is written: \d+ files/).waitFor();
    // The end of central directory record's count of entries.
    const entries = zip.readUInt16LE(zip.length - 22 + 10);
    expect(await progress.innerText()).toContain(`${entries} files`);
  });
});

// The finance pages' plans and edits through the browser against a real agents service: a
// recurring transaction made (agents' 422 under its amount first), its next date skipped,
// paused, changed and deleted; a bill made, changed and deleted, and shown as due on the
// overview; a transaction of three split lines (what they are off by shown while typing, agents'
// 422 under the line it names) saved and its lines changed; the books downloaded through the
// BFF with their file names and the split in them; a rule of two conditions and two actions
// saved and changed; a saved CSV mapping agents refuses (its message under the mapping), then
// one saved and deleted.

import { readFile } from 'node:fs/promises';

import type { Browser, BrowserContext, Dialog, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launch, newContext, noteTokens, screenshot, serious, signUp, visit } from './browser';

let browser: Browser;
let context: BrowserContext;
let page: Page;
const asked: string[] = [];

beforeAll(async () => {
  browser = await launch();
  context = await newContext(browser);
  page = await context.newPage();
  page.on('dialog', (dialog: Dialog) => {
    asked.push(dialog.message());
    void dialog.accept();
  });
});

afterAll(async () => {
  await noteTokens(context);
  await browser?.close();
});

async function settledProblems(): Promise<string[]> {
  await expect.poll(() => page.locator('[aria-busy="true"]').count()).toBe(0);
  await expect.poll(() => page.title()).not.toBe('');
  return serious(page);
}

async function status(expected: string): Promise<void> {
  await expect.poll(() => page.getByRole('status').allInnerTexts()).toContain(expected);
}

/** agents' JSON through the BFF, as the page's own scripts call it. */
async function agents<T>(path: string, body?: unknown): Promise<{ status: number; json: T }> {
  return page.evaluate(
    async ([path, body]) => {
      const r = await fetch(`/api/agents${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, json: await r.json().catch(() => null) };
    },
    [path, body] as const,
  ) as Promise<{ status: number; json: T }>;
}

describe('money: plans and edits', () => {
  it('makes a recurring transaction, skips its next date, pauses, changes and deletes it', async () => {
    await signUp(page, 'petra');
    await visit(page, '/finance');
    expect((await agents('/v1/finance/accounts', { name: 'Giro', kind: 'asset', currency: 'EUR', opening_balance: '1000.00', opening_date: '2026-01-01' })).status).toBe(201);
    for (const name of ['Rent', 'Groceries', 'Household']) {
      expect((await agents('/v1/finance/categories', { name, kind: 'expense' })).status).toBe(201);
    }

    await visit(page, '/finance/recurring');
    expect(await page.getByRole('link', { name: 'Recurring' }).getAttribute('aria-current')).toBe('page');
    const form = page.getByRole('form', { name: 'New recurring transaction' });
    await form.getByLabel('Name').fill('Rent');
    await form.getByLabel('Amount (EUR)').fill('850.001');
    await form.getByLabel('Category').selectOption({ label: 'Rent' });
    await form.getByLabel('How many').fill('1');
    await form.getByLabel('Unit').selectOption('months');
    await form.getByLabel('First date').fill('2030-01-31');
    await form.getByLabel('Payee').fill('Landlord');
    await form.getByRole('button', { name: 'Save recurring transaction' }).click();
    // A third decimal in euros: agents' 422 is shown under the amount.
    const amount = form.getByLabel('Amount (EUR)');
    await expect.poll(() => amount.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator(`[id="${await amount.getAttribute('aria-describedby')}"]`).innerText()).toMatch(/\S/);
    await amount.fill('850.00');
    await form.getByRole('button', { name: 'Save recurring transaction' }).click();
    await status('Saved “Rent”: next on 31 Jan 2030.');
    const rent = page.locator('[data-testid="recurring"][data-name="Rent"]');
    expect(await rent.getByTestId('recurring-words').innerText()).toBe('every month from 31 Jan 2030, from Giro, Rent (payee “Landlord”)');
    // Months are counted from the first date: February's is its last day, March's the 31st.
    expect(await rent.getByTestId('recurring-next').innerText()).toMatch(/^Next: 31 Jan 2030; then 28 Feb 2030, 31 Mar 2030/);
    expect(await settledProblems()).toEqual([]);
    await screenshot(page, 'finance_recurring');

    await rent.getByRole('button', { name: 'Skip next date of Rent' }).click();
    await status('Skipped 31 Jan 2030 of “Rent”: next on 28 Feb 2030.');
    await expect.poll(() => rent.getByTestId('recurring-next').innerText()).toMatch(/^Next: 28 Feb 2030; then 31 Mar 2030/);

    await rent.getByRole('button', { name: 'Pause Rent' }).click();
    await status('Paused “Rent”: nothing is posted until it is resumed.');
    await expect.poll(() => rent.getAttribute('data-paused')).toBe('true');
    expect((await agents<{ recurring: { paused: boolean }[] }>('/v1/finance/recurring')).json.recurring.map((r) => r.paused)).toEqual([true]);

    await rent.getByRole('button', { name: 'Edit Rent' }).click();
    const change = page.getByRole('form', { name: 'Change “Rent”' });
    expect(await change.getByLabel('Amount (EUR)').inputValue()).toBe('850.00');
    await change.getByLabel('Amount (EUR)').fill('900.00');
    await change.getByLabel('Payee').fill('');
    await change.getByRole('button', { name: 'Save changes' }).click();
    await status('Saved the changes to “Rent”.');
    await expect.poll(() => rent.getByTestId('recurring-words').innerText()).toBe('every month from 31 Jan 2030, from Giro, Rent');
    expect(await rent.locator('[data-amount]').first().getAttribute('data-amount')).toBe('-900.00');
    // Still paused, still skipping January.
    expect(await rent.getAttribute('data-paused')).toBe('true');
    await rent.getByRole('button', { name: 'Resume Rent' }).click();
    await status('Resumed “Rent”.');
    await expect.poll(() => rent.getAttribute('data-paused')).toBe('false');

    // One due today is posted by itself within seconds, as a transaction marked as recurring's.
    await form.getByLabel('Name').fill('Pocket money');
    await form.getByLabel('Amount (EUR)').fill('10.00');
    await form.getByLabel('Category').selectOption({ label: 'Groceries' });
    await form.getByLabel('Payee').fill('Kiosk');
    await form.getByRole('button', { name: 'Save recurring transaction' }).click();
    await expect.poll(() => page.getByRole('status').allInnerTexts()).toContainEqual(expect.stringMatching(/^Saved “Pocket money”: next on /));
    await expect
      .poll(
        async () => {
          await visit(page, '/finance/transactions?q=kiosk');
          return page.getByTestId('transaction').filter({ has: page.getByTestId('posted-by-recurring') }).getByTestId('amount').allInnerTexts();
        },
        { timeout: 60_000, interval: 2_000 },
      )
      .toEqual(['-10.00 EUR']);
    await visit(page, '/finance/recurring');
    const pocket = page.locator('[data-testid="recurring"][data-name="Pocket money"]');
    expect(await pocket.innerText()).toMatch(/Posted 1 time, last on /);
    await pocket.getByRole('button', { name: 'Delete Pocket money' }).click();
    await status('Deleted “Pocket money”; the transactions it posted stay.');
    expect((await agents<{ transactions: unknown[] }>('/v1/finance/transactions?q=kiosk')).json.transactions).toHaveLength(1);

    await rent.getByRole('button', { name: 'Delete Rent' }).click();
    await status('Deleted “Rent”; the transactions it posted stay.');
    expect(asked.at(-1)).toBe('Delete “Rent”? The transactions it posted stay.');
    await expect.poll(() => page.getByTestId('recurring').count()).toBe(0);
    expect((await agents<{ recurring: unknown[] }>('/v1/finance/recurring')).json.recurring).toEqual([]);
  });

  it('makes a bill, shows it due on the overview, changes and deletes it', async () => {
    await visit(page, '/finance/bills');
    const form = page.getByRole('form', { name: 'New bill' });
    const today = await form.getByLabel('First due date').inputValue();
    await form.getByLabel('Name').fill('Phone');
    await form.getByLabel('Paid from').selectOption({ label: 'Giro (EUR)' });
    await form.getByLabel('Amount (EUR)').fill('49.999');
    await form.getByLabel('A payment may be off by (optional)').fill('5');
    await form.getByLabel('The payee contains (optional)').fill('telco');
    await form.getByRole('button', { name: 'Save bill' }).click();
    const amount = form.getByLabel('Amount (EUR)');
    await expect.poll(() => amount.getAttribute('aria-invalid')).toBe('true');
    await amount.fill('49.99');
    await form.getByRole('button', { name: 'Save bill' }).click();
    await status('Saved the bill “Phone”.');
    const phone = page.locator('[data-testid="bill"][data-name="Phone"]');
    expect(await phone.getByTestId('bill-words').innerText()).toMatch(/^every month from .+, paid from Giro, payee containing “telco”, give or take 5\.00 EUR$/);
    expect(await phone.locator('[data-amount]').getAttribute('data-amount')).toBe('-49.99');
    await expect.poll(() => phone.getByRole('list', { name: 'Dues of Phone' }).innerText()).toMatch(/upcoming|missed/);
    expect(await settledProblems()).toEqual([]);
    await screenshot(page, 'finance_bills');

    await visit(page, '/finance');
    expect(await page.getByTestId('bills').innerText()).toMatch(/Phone\s+-49\.99 EUR/);

    await visit(page, '/finance/bills');
    await phone.getByRole('button', { name: 'Edit Phone' }).click();
    const change = page.getByRole('form', { name: 'Change the bill “Phone”' });
    expect(await change.getByLabel('First due date').inputValue()).toBe(today);
    await change.getByLabel('Amount (EUR)').fill('59.99');
    await change.getByLabel('How many').fill('3');
    await change.getByRole('button', { name: 'Save changes' }).click();
    await status('Saved the changes to “Phone”.');
    await expect.poll(() => phone.getByTestId('bill-words').innerText()).toMatch(/^every 3 months from /);
    expect(await phone.locator('[data-amount]').getAttribute('data-amount')).toBe('-59.99');

    await phone.getByRole('button', { name: 'Delete Phone' }).click();
    await status('Deleted the bill “Phone”.');
    await expect.poll(() => page.getByTestId('bill').count()).toBe(0);
    expect((await agents<{ bills: unknown[] }>('/v1/finance/bills')).json.bills).toEqual([]);
  });

  it('saves a transaction of split lines, then changes its lines', async () => {
    await visit(page, '/finance/transactions');
    await page.getByRole('button', { name: 'Add a transaction' }).click();
    const form = page.getByRole('form', { name: 'Add a transaction' });
    await form.getByRole('radio', { name: 'Split' }).check();
    const remainder = form.getByTestId('split-remainder');
    await form.getByLabel('Line 1: account or category').selectOption({ label: 'Giro (EUR)' });
    await form.getByLabel('Line 1: amount').fill('-100.001');
    await form.getByLabel('Line 2: account or category').selectOption({ label: 'Groceries' });
    await form.getByLabel('Line 2: amount').fill('100.001');
    await form.getByLabel('Payee').fill('Market');
    await form.getByRole('button', { name: 'Add transaction' }).click();
    // Agents' 422 names the line: it is shown under that line's amount.
    const first = form.getByLabel('Line 1: amount');
    await expect.poll(() => first.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator(`[id="${await first.getAttribute('aria-describedby')}"]`).innerText()).toMatch(/\S/);

    await first.fill('-100.00');
    await form.getByLabel('Line 2: amount').fill('60.00');
    await expect.poll(() => remainder.innerText()).toBe('Off by -40.00 EUR: the lines must add up to zero.');
    await form.getByRole('button', { name: 'Add a line' }).click();
    await form.getByLabel('Line 3: account or category').selectOption({ label: 'Household' });
    await form.getByLabel('Line 3: amount').fill('40.00');
    await expect.poll(() => remainder.innerText()).toBe('The lines balance.');
    await form.getByLabel('Line 3: memo').fill('soap');
    expect(await settledProblems()).toEqual([]);
    await form.getByRole('button', { name: 'Add transaction' }).click();
    await status('Added “Market”.');
    const row = page.getByTestId('transaction').filter({ hasText: 'Market' });
    await expect.poll(() => row.getByTestId('amount').innerText()).toBe('-100.00 EUR');
    expect(await row.innerText()).toMatch(/Groceries, Household|Household, Groceries/);

    await row.getByRole('button', { name: /^Edit Market/ }).click();
    const change = page.getByRole('form', { name: 'Change “Market”' });
    expect(await change.getByTestId('split-remainder').innerText()).toBe('The lines balance.');
    const lines = await change.getByTestId('split-line').count();
    expect(lines).toBe(3);
    /** Which line (from 1) is the category's. */
    const lineOf = async (name: string) => (await change.getByTestId('split-line').evaluateAll((all, name) => all.findIndex((l) => l.querySelector('select')?.selectedOptions[0]?.text === name), name)) + 1;
    const groceries = await lineOf('Groceries');
    expect(groceries).toBeGreaterThan(0);
    await change.getByLabel(`Line ${groceries}: amount`).fill('70.00');
    await expect.poll(() => change.getByTestId('split-remainder').innerText()).toBe('Off by +10.00 EUR: the lines must add up to zero.');
    await change.getByLabel(`Line ${await lineOf('Household')}: amount`).fill('30.00');
    await change.getByRole('button', { name: 'Save changes' }).click();
    await status('Saved “Market”.');
    const saved = await agents<{ transactions: { splits: { account_name: string; amount: string; memo: string | null }[] }[] }>('/v1/finance/transactions?q=Market');
    expect(saved.json.transactions).toHaveLength(1);
    expect(saved.json.transactions[0].splits.map((s) => `${s.account_name} ${s.amount}${s.memo ? ` ${s.memo}` : ''}`).sort()).toEqual(['Giro -100.00', 'Groceries 70.00', 'Household 30.00 soap']);
  });

  it('downloads the books through the BFF with their file names', async () => {
    await visit(page, '/finance/reports');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Every split as CSV' }).click()]);
    expect(csv.suggestedFilename()).toBe('posey-finance.csv');
    expect(new URL(csv.url()).pathname).toBe('/api/agents/v1/finance/export.csv');
    const text = await readFile((await csv.path()) as string, 'utf8');
    expect(text.split('\n')[0].trim()).toBe('date,transaction_id,payee,description,account,account_kind,amount,currency,value,transaction_currency,status,tags,notes,memo,rate,rate_date');
    expect(text).toMatch(/,Market,,Groceries,expense,70\.00,EUR,/);
    expect(text).toMatch(/,Market,,Giro,asset,-100\.00,EUR,/);

    const [journal] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'hledger journal' }).click()]);
    expect(journal.suggestedFilename()).toBe('posey-finance.journal');
    expect(await readFile((await journal.path()) as string, 'utf8')).toContain('Market');
    const headers = await page.evaluate(async () => {
      const r = await fetch('/api/agents/v1/finance/export.journal');
      return { status: r.status, type: r.headers.get('content-type'), disposition: r.headers.get('content-disposition') };
    });
    expect(headers).toEqual({ status: 200, type: 'text/plain; charset=utf-8', disposition: 'attachment; filename="posey-finance.journal"' });
  });

  it('saves a rule of two conditions and two actions, and changes it', async () => {
    await visit(page, '/finance/rules');
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Name').fill('Big shop');
    await form.getByLabel('Condition 1: type').selectOption('payee_contains');
    await form.getByLabel('Condition 1: words').fill('market');
    await form.getByRole('button', { name: 'Add a condition' }).click();
    await form.getByLabel('Condition 2: type').selectOption('amount_between');
    await form.getByLabel('Condition 2: from').fill('-50');
    await form.getByLabel('Condition 2: to').fill('-200');
    await form.getByLabel('Action 1: category').selectOption({ label: 'Household' });
    await form.getByRole('button', { name: 'Add an action' }).click();
    await form.getByLabel('Action 2: type').selectOption('add_tag');
    await form.getByLabel('Action 2: tag').fill('weekly');
    await form.getByRole('button', { name: 'Save rule' }).click();
    // From above to: the form says so under the condition before sending anything.
    await expect.poll(() => form.getByLabel('Condition 2: from').getAttribute('aria-invalid')).toBe('true');
    await form.getByLabel('Condition 2: from').fill('-200');
    await form.getByLabel('Condition 2: to').fill('-50');
    await form.getByRole('button', { name: 'Save rule' }).click();
    await status('Saved the rule “Big shop”: imports apply it from now on. Try it on past transactions with “Dry run”.');
    const words = page.locator('[data-testid="rule"]').filter({ hasText: 'Big shop' }).getByTestId('rule-words');
    await expect.poll(() => words.innerText()).toBe('payee contains “market” and amount from -200 to -50 → category Household, tag “weekly”');
    expect(await settledProblems()).toEqual([]);

    await page.getByRole('button', { name: 'Edit Big shop' }).click();
    const change = page.getByRole('form', { name: 'Change the rule “Big shop”' });
    expect(await change.getByLabel('Condition 2: from').inputValue()).toBe('-200');
    await change.getByLabel('Applies when').selectOption('any');
    await change.getByRole('button', { name: 'Remove action 1' }).click();
    await change.getByRole('button', { name: 'Save changes' }).click();
    await status('Saved the changes to the rule “Big shop”.');
    await visit(page, '/finance/rules');
    expect(await words.innerText()).toBe('payee contains “market” or amount from -200 to -50 → tag “weekly”');
  });

  it('refuses a CSV mapping agents cannot read, saying why under it, and deletes a saved one', async () => {
    await visit(page, '/finance/import');
    await page.getByText('CSV mappings for other banks').click();
    const form = page.getByRole('form', { name: 'New mapping' });
    await form.getByLabel('Name', { exact: true }).fill('Broken');
    const mapping = form.getByRole('textbox', { name: /^Mapping/ });
    const preset = await mapping.inputValue();
    await mapping.fill('{"delimiter": ";"}');
    await form.getByRole('button', { name: 'Save mapping' }).click();
    await expect.poll(() => mapping.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator(`[id="${await mapping.getAttribute('aria-describedby')}"]`).innerText()).toMatch(/\S/);

    await form.getByLabel('Name', { exact: true }).fill('Mine');
    await mapping.fill(preset);
    await form.getByRole('button', { name: 'Save mapping' }).click();
    await status('Saved the mapping “Mine”: choose “CSV with a saved mapping” above to import with it.');
    const saved = page.getByRole('list', { name: 'Saved CSV mappings' });
    await expect.poll(() => saved.innerText()).toContain('Mine');
    await page.getByRole('button', { name: 'Delete the mapping Mine' }).click();
    await status('Deleted the mapping “Mine”.');
    await expect.poll(() => saved.count()).toBe(0);
  });
});

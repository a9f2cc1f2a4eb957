// The finance pages through the browser against a real agents service: categories are made and
// a US dollar account opened with an opening balance; an expense whose amount has too many
// decimals is refused under its field by agents' 422, then added in a category, and the balance
// changes by exactly that; a real OFX statement (ofxparse's checking.ofx) goes through the
// import wizard — preview with three new lines and a matching closing balance, commit, the same
// file again is all duplicates — and its rows show among the transactions, one categorised in
// place; the budget marks an overspent envelope; the account is reconciled against the file's
// statement (a wrong balance refused first, with agents' message), and a reconciled transaction is
// deleted and another's lines changed only after a confirm; the reports draw the months.

import { join } from 'node:path';

import type { Browser, BrowserContext, Dialog, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launch, newContext, noteTokens, screenshot, serious, signUp, visit } from './browser';

/** A real bank file no one here wrote (MIT, see the fixtures' README): 3 lines, USD, closing 100.99 on 2013-05-25. */
const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'crates', 'posey-finance', 'tests', 'finance', 'fixtures');
const OFX = join(FIXTURES, 'ofxparse', 'checking.ofx');
/** Chase's CSV export layout (made-up people and amounts): 5 lines, two identical coffees on one day, closing 1347.05 on 2024-01-05. */
const CHASE_CSV = join(FIXTURES, 'banks', 'chase-checking.csv');

let browser: Browser;
let context: BrowserContext;
let page: Page;
/** What the next `window.confirm` is answered, and the questions asked. */
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

/** The balance the overview shows for `name`. */
async function balanceOf(name: string): Promise<string> {
  await visit(page, '/finance');
  return page.locator(`[data-testid="account-row"][data-account="${name}"]`).getByTestId('account-balance').innerText();
}

/** Axe's serious findings once the page's data is fetched again after a change (`aria-busy` gone). */
async function settledProblems(): Promise<string[]> {
  await expect.poll(() => page.locator('[aria-busy="true"]').count()).toBe(0);
  await expect.poll(() => page.title()).not.toBe('');
  return serious(page);
}

/** Waits for the status message an action ends with (others on the page may stay from before). */
async function status(expected: string): Promise<void> {
  await expect.poll(() => page.getByRole('status').allInnerTexts()).toContain(expected);
}

describe('money', () => {
  it('opens an account, adds a categorised expense and shows the balance change exactly', async () => {
    await signUp(page, 'fiona');
    await visit(page, '/finance');
    expect(await page.getByRole('link', { name: 'Money' }).first().getAttribute('aria-current')).toBe('page');
    expect(await page.getByText('No accounts yet.').count()).toBe(1);

    await visit(page, '/finance/accounts');
    const categories = page.getByRole('form', { name: 'New category' });
    for (const name of ['Groceries', 'Utilities']) {
      await categories.getByLabel('New category').fill(name);
      await categories.getByRole('button', { name: 'Add category' }).click();
      await expect.poll(() => page.getByTestId('category').filter({ hasText: name }).count()).toBe(1);
    }

    const open = page.getByRole('form', { name: 'Open an account' });
    // Nothing filled in: the form says so under the name.
    await open.getByRole('button', { name: 'Open account' }).click();
    expect(await open.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    await open.getByLabel('Name').fill('Checking');
    await open.getByLabel('Kind').selectOption('asset');
    await open.getByLabel('Type').selectOption('checking');
    await open.getByLabel('Currency').fill('USD');
    await open.getByLabel('Opening balance').fill('160.49');
    await open.getByLabel('Opening date').fill('2011-01-01');
    await open.getByRole('button', { name: 'Open account' }).click();
    await status('Opened “Checking” with 160.49 USD.');
    await expect.poll(() => page.locator('[data-testid="account"][data-account="Checking"]').getByTestId('balance').innerText()).toBe('160.49 USD');
    expect(await settledProblems()).toEqual([]);
    await screenshot(page, 'finance_accounts');

    await visit(page, '/finance/transactions');
    await page.getByRole('button', { name: 'Add a transaction' }).click();
    const form = page.getByRole('form', { name: 'Add a transaction' });
    await form.getByLabel('Amount (USD)').fill('12.345');
    await form.getByLabel('Category').selectOption({ label: 'Groceries' });
    await form.getByLabel('Payee').fill('Corner shop');
    await form.getByRole('button', { name: 'Add transaction' }).click();
    // Agents refuses a third decimal in dollars: its 422 is shown under the amount.
    const amount = form.getByLabel('Amount (USD)');
    await expect.poll(() => amount.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await amount.getAttribute('aria-describedby')) as string;
    expect(await page.locator(`[id="${describedBy}"]`).innerText()).toMatch(/\S/);
    expect(await form.getByTestId('field-error').count()).toBe(1);
    expect(await settledProblems()).toEqual([]);

    await amount.fill('12.34');
    await form.getByRole('button', { name: 'Add transaction' }).click();
    await status('Added “Corner shop”.');
    const row = page.getByTestId('transaction').filter({ hasText: 'Corner shop' });
    await expect.poll(() => row.getByTestId('amount').innerText()).toBe('-12.34 USD');
    expect(await row.getByRole('combobox').locator('option:checked').innerText()).toBe('Groceries');

    expect(await balanceOf('Checking')).toBe('148.15 USD');
    expect(await page.getByTestId('net-worth').innerText()).toContain('148.15 USD');
    const spending = page.getByRole('table', { name: /^Spending in .* by category$/ });
    expect(await spending.innerText()).toMatch(/Groceries\s+12\.34 USD/);
    expect(await settledProblems()).toEqual([]);
    await screenshot(page, 'finance_overview');
  });

  it('imports a real OFX statement through the wizard and shows its rows', async () => {
    await visit(page, '/finance/import');
    await page.getByLabel('1. Account').selectOption({ label: 'Checking (USD)' });
    await page.getByLabel('3. File').setInputFiles(OFX);
    await page.getByRole('button', { name: 'Upload and preview' }).click();
    const preview = page.getByTestId('import-preview');
    await preview.waitFor();
    expect(await preview.getByTestId('preview-summary').innerText()).toMatch(/^3 new, 0 already there/);
    expect(await preview.getByTestId('balance-check').innerText()).toBe(
      'The balance matches: the file says 100.99 USD at the end of 25 May 2013; with these lines the account would hold 100.99 USD.',
    );
    expect(await preview.locator('[data-testid="preview-line"][data-duplicate="false"]').count()).toBe(3);
    expect(await preview.getByTestId('preview-line').filter({ hasText: 'AUTOMATIC WITHDRAWAL, ELECTRIC BILL' }).innerText()).toMatch(/5 Apr 2011.*-34\.51 USD\s+new/s);
    expect(await settledProblems()).toEqual([]);
    await screenshot(page, 'finance_import_preview');

    await preview.getByRole('button', { name: 'Commit 3 new transactions' }).click();
    await expect.poll(() => page.getByTestId('import-done').innerText()).toMatch(/^Imported checking\.ofx: 3 added, 0 skipped as already there\./);
    await expect.poll(() => page.locator('[data-testid="past-import"][data-state="committed"]').count()).toBe(1);

    // The same file again changes nothing: every line is there already.
    await page.getByLabel('3. File').setInputFiles(OFX);
    await page.getByRole('button', { name: 'Upload and preview' }).click();
    await expect.poll(() => preview.getByTestId('preview-summary').innerText()).toMatch(/^0 new, 3 already there/);
    await preview.getByRole('button', { name: 'Discard' }).click();
    await expect.poll(() => preview.count()).toBe(0);

    // A CSV file read with a bank's preset, into an account opened for it.
    const opened = await page.evaluate(async () => {
      const r = await fetch('/api/agents/v1/finance/accounts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Chase', kind: 'asset', currency: 'USD' }) });
      return r.status;
    });
    expect(opened).toBe(201);
    await visit(page, '/finance/import');
    await page.getByLabel('1. Account').selectOption({ label: 'Chase (USD)' });
    await page.getByLabel('2. Kind of file').selectOption('preset');
    await page.locator('select[name="preset"]').selectOption({ label: 'Chase checking / savings' });
    await page.getByLabel('3. File').setInputFiles(CHASE_CSV);
    await page.getByRole('button', { name: 'Upload and preview' }).click();
    await expect.poll(() => preview.getByTestId('preview-summary').innerText()).toMatch(/^5 new, 0 already there/);
    expect(await preview.getByTestId('balance-check').innerText()).toContain('the file says 1,347.05 USD at the end of 5 Jan 2024');
    // Two identical purchases on one day are both kept.
    expect(await preview.getByTestId('preview-line').filter({ hasText: 'STARBUCKS' }).count()).toBe(2);
    await preview.getByRole('button', { name: 'Commit 5 new transactions' }).click();
    await expect.poll(() => page.getByTestId('import-done').innerText()).toMatch(/^Imported chase-checking\.csv: 5 added, 0 skipped/);
    expect(await balanceOf('Chase')).toBe('1,347.05 USD');

    // A mapping of one's own, started from the bank's preset, is offered for the next CSV file.
    await visit(page, '/finance/import');
    await page.getByText('CSV mappings for other banks').click();
    const mapping = page.getByRole('form', { name: 'New mapping' });
    await mapping.getByLabel('Name', { exact: true }).fill('My Chase');
    await mapping.getByRole('button', { name: 'Save mapping' }).click();
    await status('Saved the mapping “My Chase”: choose “CSV with a saved mapping” above to import with it.');
    await page.getByLabel('2. Kind of file').selectOption('mapping');
    await expect.poll(() => page.locator('select[name="mapping_id"] option').allInnerTexts()).toEqual(['Choose…', 'My Chase']);
    expect(await settledProblems()).toEqual([]);

    await visit(page, '/finance/transactions');
    const rows = page.getByTestId('transaction');
    for (const [payee, amount] of [
      ['DIVIDEND EARNED FOR PERIOD OF 03', '0.01 USD'],
      ['AUTOMATIC WITHDRAWAL, ELECTRIC BILL', '-34.51 USD'],
      ['RETURNED CHECK FEE, CHECK # 319', '-25.00 USD'],
    ]) {
      expect(await rows.filter({ hasText: payee }).getByTestId('amount').innerText()).toBe(amount);
    }
    expect(await balanceOf('Checking')).toBe('88.65 USD');

    // Categorised in place; the uncategorised filter no longer lists it.
    await visit(page, '/finance/transactions?uncategorised=true');
    // The OFX file's three and the CSV file's five.
    expect(await page.getByTestId('transaction').count()).toBe(8);
    const electric = page.getByTestId('transaction').filter({ hasText: 'ELECTRIC BILL' });
    await electric.getByRole('combobox').selectOption({ label: 'Utilities' });
    await status('“AUTOMATIC WITHDRAWAL, ELECTRIC BILL” is now in Utilities.');
    await expect.poll(() => page.getByTestId('transaction').count()).toBe(7);
    await visit(page, '/finance/transactions?q=electric');
    expect(await page.getByTestId('transaction').getByRole('combobox').locator('option:checked').innerText()).toBe('Utilities');
    expect(await settledProblems()).toEqual([]);
    await screenshot(page, 'finance_transactions');

    // A rule: tried on past transactions first, then applied.
    await visit(page, '/finance/rules');
    const rule = page.getByRole('form', { name: 'New rule' });
    await rule.getByLabel('Name').fill('Coffee');
    await rule.getByLabel('Condition 1: type').selectOption('payee_contains');
    await rule.getByLabel('Condition 1: words').fill('starbucks');
    await rule.getByLabel('Action 1: category').selectOption({ label: 'Groceries' });
    await rule.getByRole('button', { name: 'Save rule' }).click();
    await expect.poll(() => page.getByTestId('rule-words').allInnerTexts()).toEqual(['payee contains “starbucks” → category Groceries']);
    await page.getByRole('button', { name: 'Dry run Coffee' }).click();
    await expect.poll(() => page.getByTestId('rule-run-summary').innerText()).toBe('2 matched, 2 would change.');
    expect(await page.getByTestId('rule-change').first().innerText()).toMatch(/5 Jan 2024\s+STARBUCKS.*-4\.75 USD\s+Uncategorised\s+Groceries/s);
    expect(await settledProblems()).toEqual([]);
    await page.getByRole('button', { name: 'Apply to past transactions: Coffee' }).click();
    await status('Applied “Coffee”: 2 transactions changed.');
    await visit(page, '/finance/transactions?q=starbucks');
    expect(await page.getByTestId('transaction').getByRole('combobox').evaluateAll((s) => s.map((x) => (x as HTMLSelectElement).selectedOptions[0]?.text))).toEqual(['Groceries', 'Groceries']);
  });

  it('budgets a month, reconciles against the statement, and draws the reports', async () => {
    await visit(page, '/finance/budget');
    const groceries = page.locator('[data-testid="envelope"][data-category="Groceries"]');
    // Nothing budgeted yet: the 12.34 spent is overspent.
    expect(await groceries.getAttribute('data-overspent')).toBe('true');
    expect(await groceries.getByTestId('available').innerText()).toMatch(/^-12\.34 USD/);
    await groceries.getByLabel('Budgeted for Groceries').fill('10.00');
    await groceries.getByLabel('Budgeted for Groceries').press('Enter');
    await expect.poll(() => groceries.getByTestId('available').innerText()).toMatch(/^-2\.34 USD/);
    expect(await groceries.getAttribute('data-overspent')).toBe('true');
    expect(await groceries.getByLabel('Budgeted for Groceries').inputValue()).toBe('10.00');
    await groceries.getByLabel('Budgeted for Groceries').fill('20.00');
    await groceries.getByLabel('Budgeted for Groceries').press('Enter');
    await expect.poll(() => groceries.getByTestId('available').innerText()).toBe('7.66 USD');
    expect(await groceries.getAttribute('data-overspent')).toBe('false');
    expect(await settledProblems()).toEqual([]);
    await screenshot(page, 'finance_budget');

    await visit(page, '/finance/accounts');
    await page.getByRole('button', { name: 'Reconcile Checking' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reconcile Checking' });
    await dialog.getByLabel('Statement date').fill('2013-05-25');
    await dialog.getByLabel('Statement balance (USD)').fill('100.00');
    await dialog.getByRole('button', { name: 'Reconcile' }).click();
    const balance = dialog.getByLabel('Statement balance (USD)');
    await expect.poll(() => balance.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.getByTestId('field-error').innerText()).toMatch(/100\.99.*100\.00|100\.00.*100\.99/);
    await balance.fill('100.99');
    await dialog.getByRole('button', { name: 'Reconcile' }).click();
    await status('Reconciled “Checking” at 100.99 USD on 2013-05-25: 4 transactions marked reconciled.');
    await page.locator('[data-testid="account"][data-account="Checking"]').getByRole('link', { name: 'Checking' }).click();
    await page.waitForURL(/\/finance\/transactions\?account_id=/);
    await expect.poll(() => page.getByTestId('account-summary').innerText()).toMatch(/^Checking\s+88\.65 USD/);
    expect(await page.locator('[data-testid="transaction"][data-status="reconciled"]').count()).toBe(4);

    // Deleting a reconciled transaction asks first, saying so.
    await visit(page, '/finance/transactions?q=fee');
    const fee = page.getByTestId('transaction').filter({ hasText: 'RETURNED CHECK FEE' });
    expect(await fee.getAttribute('data-status')).toBe('reconciled');
    await fee.getByRole('button', { name: /^Delete / }).click();
    await status('Deleted “RETURNED CHECK FEE, CHECK # 319”.');
    expect(asked.at(-1)).toContain('It is reconciled against a bank statement');
    expect(await balanceOf('Checking')).toBe('113.65 USD');

    // Changing a reconciled transaction's lines asks first too, then goes through confirmed.
    await visit(page, '/finance/transactions?q=dividend');
    const dividend = page.getByTestId('transaction').filter({ hasText: 'DIVIDEND' });
    await dividend.getByRole('button', { name: /^Edit / }).click();
    const change = page.getByRole('form', { name: /^Change “DIVIDEND/ });
    expect(await change.getByTestId('split-remainder').innerText()).toBe('The lines balance.');
    await change.getByLabel('Line 1: memo').fill('interest');
    const before = asked.length;
    await change.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.getByRole('status').allInnerTexts()).toContainEqual(expect.stringMatching(/^Saved “DIVIDEND/));
    expect(asked.slice(before)).toEqual([expect.stringContaining('It is reconciled against a bank statement: changing it may make that statement no longer match.')]);
    expect(await dividend.getAttribute('data-status')).toBe('reconciled');
    expect(await balanceOf('Checking')).toBe('113.65 USD');

    await visit(page, '/finance/reports?from=2011-03&to=2011-04');
    const cash = page.getByRole('table', { name: 'Cash flow in USD' });
    expect(await cash.innerText()).toMatch(/Mar 2011\s+0\.01 USD\s+0\.00 USD\s+0\.01 USD/);
    expect(await cash.innerText()).toMatch(/Apr 2011\s+0\.00 USD\s+34\.51 USD\s+-34\.51 USD/);
    expect(await page.getByTestId('report-cash-flow').locator('svg[role="img"] rect').count()).toBe(4);
    const worth = page.getByRole('table', { name: 'Net worth in USD' });
    expect(await worth.innerText()).toMatch(/Mar 2011\s+160\.50 USD\s+0\.00 USD\s+160\.50 USD/);
    expect(await worth.innerText()).toMatch(/Apr 2011\s+125\.99 USD\s+0\.00 USD\s+125\.99 USD/);
    expect(await page.getByTestId('report-net-worth').locator('svg path').count()).toBe(1);
    expect(await page.getByRole('table', { name: 'Spending by category in USD' }).innerText()).toMatch(/Utilities\s+34\.51 USD/);
    expect(await settledProblems()).toEqual([]);
    await screenshot(page, 'finance_reports');

    await page.locator('select[name="by"]').selectOption('payee');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/by=payee/);
    await expect.poll(() => page.getByRole('table', { name: 'Spending by payee in USD' }).innerText()).toMatch(/AUTOMATIC WITHDRAWAL, ELECTRIC BILL\s+34\.51 USD/);
  });

  it('every finance page fits a phone with no serious accessibility violation', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const problems: string[] = [];
    for (const path of ['/finance', '/finance/transactions', '/finance/recurring', '/finance/bills', '/finance/accounts', '/finance/import', '/finance/rules', '/finance/budget', '/finance/reports']) {
      await visit(page, path);
      for (const v of await serious(page)) problems.push(`${path}: ${v}`);
      await screenshot(page, `phone${path.replace(/\//g, '_')}`);
    }
    expect(problems).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});

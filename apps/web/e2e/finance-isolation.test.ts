// One person's money is nobody else's, through the browser against a real agents service: Alice
// keeps books (an account with an opening balance, categories, a purchase, a bank file imported,
// an envelope, a bill, a recurring payment, a rule); Bob, signed in in another browser, finds an
// empty Money area on every page, a not-found page at the URLs of Alice's account, category and
// import, and agents' not-found (through the app's API) for her account and transaction by id,
// whose changes and deletes leave them as they were.

import { join } from 'node:path';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { callAgents, launch, newContext, noteTokens, signUp, visit } from './browser';

/** Chase's CSV export layout (made-up people and amounts): 5 lines, closing 1347.05 on 2024-01-05. */
const CHASE_CSV = join(import.meta.dirname, '..', '..', '..', 'crates', 'posey-finance', 'tests', 'finance', 'fixtures', 'banks', 'chase-checking.csv');

/** What of Alice's must never be on a page of Bob's: her names, payees and amounts. */
const ALICES = ['Alicebank Checking', 'Truffles', 'Fancy Deli', 'Gym of Alice', 'Rent of Alice', 'Deli rule', 'STARBUCKS', '4,321.09', '4321.09', '87.65'];

let browser: Browser;
let aliceContext: BrowserContext;
let bobContext: BrowserContext;
let alice: Page;
let bob: Page;
/** Alice's ids. */
const hers = { account: '', category: '', transaction: '', import: '' };

/** A call to agents' finance API through the app as the page's person. */
const call = (page: Page, method: string, path: string, body?: unknown) => callAgents(page, '/v1/finance', method, path, body);

async function made(page: Page, path: string, body: unknown): Promise<string> {
  const { status, json } = await call(page, 'POST', path, body);
  expect(status, JSON.stringify(json)).toBe(201);
  return json.id as string;
}

/** The page's visible text once its data is in (`aria-busy` gone). */
async function text(page: Page): Promise<string> {
  await expect.poll(() => page.locator('[aria-busy="true"]').count()).toBe(0);
  return page.locator('body').innerText();
}

beforeAll(async () => {
  browser = await launch();
  aliceContext = await newContext(browser);
  bobContext = await newContext(browser);
  alice = await aliceContext.newPage();
  bob = await bobContext.newPage();
  await signUp(alice, 'alice');
  await signUp(bob, 'bob');
});

afterAll(async () => {
  for (const context of [aliceContext, bobContext]) if (context) await noteTokens(context);
  await browser?.close();
});

describe('money between two people', () => {
  it("lets Alice keep her books, and shows them to her", async () => {
    hers.account = await made(alice, '/accounts', {
      name: 'Alicebank Checking', kind: 'asset', subtype: 'checking', currency: 'USD', opening_balance: '4321.09', opening_date: '2024-01-01',
    });
    hers.category = await made(alice, '/categories', { name: 'Truffles' });
    hers.transaction = await made(alice, '/transactions', {
      account_id: hers.account, amount: '-87.65', category_id: hers.category, payee: 'Fancy Deli', date: '2024-01-02',
    });
    const envelope = await call(alice, 'PUT', `/budgets/${hers.category}/2024-01`, { amount: '100' });
    expect(envelope.status).toBe(200);
    await made(alice, '/bills', { name: 'Gym of Alice', amount: '-30', cadence: { months: 1 }, starts: '2024-01-01', account_id: hers.account });
    await made(alice, '/recurring', {
      name: 'Rent of Alice', cadence: { months: 1 }, starts: '2099-01-01', account_id: hers.account, amount: '-900', category_id: hers.category,
    });
    await made(alice, '/rules', {
      name: 'Deli rule', rule: { match_all: true, conditions: [{ type: 'payee_contains', value: 'deli' }], actions: [{ type: 'set_category', id: hers.category }] },
    });
    // A bank file, through the import wizard.
    await visit(alice, '/finance/import');
    await alice.getByLabel('1. Account').selectOption({ label: 'Alicebank Checking (USD)' });
    await alice.getByLabel('2. Kind of file').selectOption('preset');
    await alice.locator('select[name="preset"]').selectOption({ label: 'Chase checking / savings' });
    await alice.getByLabel('3. File').setInputFiles(CHASE_CSV);
    await alice.getByRole('button', { name: 'Upload and preview' }).click();
    const preview = alice.getByTestId('import-preview');
    await expect.poll(() => preview.getByTestId('preview-summary').innerText()).toMatch(/^5 new, 0 already there/);
    await preview.getByRole('button', { name: 'Commit 5 new transactions' }).click();
    await expect.poll(() => alice.getByTestId('import-done').innerText()).toMatch(/^Imported chase-checking\.csv: 5 added/);
    const imports = await call(alice, 'GET', '/imports');
    hers.import = (imports.json.imports as { id: string }[])[0].id;

    await visit(alice, `/finance/transactions?account_id=${hers.account}`);
    expect(await alice.getByTestId('account-summary').innerText()).toContain('Alicebank Checking');
    expect(await alice.getByTestId('transaction').count()).toBe(7);
    await visit(alice, `/finance/transactions?import_id=${hers.import}`);
    expect(await alice.getByTestId('transaction').count()).toBe(5);
  });

  it('shows Bob an empty Money area on every page', async () => {
    await visit(bob, '/finance');
    expect(await text(bob)).toContain('No accounts yet.');
    for (const path of [
      '/finance',
      '/finance/accounts',
      '/finance/transactions',
      '/finance/transactions?q=deli',
      '/finance/budget?month=2024-01',
      '/finance/bills',
      '/finance/recurring',
      '/finance/rules',
      '/finance/import',
      '/finance/reports?from=2024-01&to=2024-02',
    ]) {
      await visit(bob, path);
      const seen = await text(bob);
      for (const secret of ALICES) expect(seen, `${path} shows ${secret}`).not.toContain(secret);
      expect(await bob.getByTestId('transaction').count(), path).toBe(0);
      expect(await bob.getByTestId('account-row').count(), path).toBe(0);
    }
  });

  it("answers Bob not found at the URLs of Alice's account, category, import and transaction", async () => {
    for (const path of [
      `/finance/transactions?account_id=${hers.account}`,
      `/finance/transactions?category_id=${hers.category}`,
      `/finance/transactions?import_id=${hers.import}`,
    ]) {
      const response = await bob.goto(path);
      expect(response?.status(), path).toBe(404);
      expect(await bob.getByRole('heading', { name: 'Not found' }).count(), path).toBe(1);
      const seen = await bob.locator('body').innerText();
      for (const secret of ALICES) expect(seen, `${path} shows ${secret}`).not.toContain(secret);
    }
    // Alice's own URL still shows her account to her.
    await visit(alice, `/finance/transactions?account_id=${hers.account}`);
    expect(await alice.getByTestId('account-summary').innerText()).toContain('Alicebank Checking');

    // Through the app's API, by id: nothing to read, change or delete.
    await visit(bob, '/finance');
    for (const [method, path, body] of [
      ['GET', `/accounts/${hers.account}`, undefined],
      ['PATCH', `/accounts/${hers.account}`, { name: 'Bob now' }],
      ['DELETE', `/accounts/${hers.account}`, undefined],
      ['GET', `/transactions/${hers.transaction}`, undefined],
      ['PATCH', `/transactions/${hers.transaction}`, { description: 'Bob was here' }],
      ['DELETE', `/transactions/${hers.transaction}`, undefined],
      ['GET', `/imports/${hers.import}`, undefined],
      ['DELETE', `/imports/${hers.import}`, undefined],
    ] as const) {
      const answer = await call(bob, method, path, body);
      expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.json)}`).toBe(404);
      for (const secret of ALICES) expect(JSON.stringify(answer.json)).not.toContain(secret);
    }
    const listed = await call(bob, 'GET', `/transactions?account_id=${hers.account}`);
    expect(listed.json.transactions).toEqual([]);

    // Alice's books are as she left them.
    const transaction = await call(alice, 'GET', `/transactions/${hers.transaction}`);
    expect(transaction.status).toBe(200);
    expect(transaction.json.description ?? null).toBeNull();
    const account = await call(alice, 'GET', `/accounts/${hers.account}`);
    expect([account.json.name, account.json.balance]).toEqual(['Alicebank Checking', '5580.49']);
    expect((await call(alice, 'GET', `/imports/${hers.import}`)).status).toBe(200);
  });
});

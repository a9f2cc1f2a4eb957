// The finance components rendered to markup as the server renders them: amounts shown with
// every digit, accounts grouped with net worth per currency, a 422's message under its field,
// the import preview's new and duplicate lines and balance check, the budget's overspent
// envelopes, and charts whose tables carry the exact figures.

import { createElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';

vi.mock('next/navigation', () => ({ useRouter: () => ({ refresh: () => {} }), usePathname: () => '/finance' }));

import { AccountList } from '@/components/finance/account-list';
import { Budget, treeOrder } from '@/components/finance/budget';
import { CashFlowChart, HBars, NetWorthChart } from '@/components/finance/charts';
import { Preview, SHOWN_LINES } from '@/components/finance/import-wizard';
import { Money } from '@/components/finance/money';
import { describeRule } from '@/components/finance/rules';
import { TransactionForm } from '@/components/finance/transaction-form';
import { Transactions } from '@/components/finance/transactions';
import { ApiError } from '@/lib/client/api';
import { apiFieldErrors, type BudgetMonth, type FinanceAccount, type FinanceImport, type Transaction } from '@/lib/finance';

const html = <P extends object>(type: (props: P) => ReactNode, props: P) => renderToStaticMarkup(createElement(type, props));
/** The markup's words, as a person reads them. */
const text = (markup: string) =>
  markup
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&#x27;/g, "'")
    .replace(/\s+/g, ' ')
    .replace(/ ([.;:])(?=\s|$)/g, '$1')
    .trim();

const account = (over: Partial<FinanceAccount>): FinanceAccount => ({
  id: 'a1',
  kind: 'asset',
  subtype: 'checking',
  name: 'Checking',
  parent_id: null,
  currency: 'EUR',
  on_budget: true,
  number: null,
  bank_id: null,
  rollover_overspending: false,
  role: null,
  closed_at: null,
  balance: '0.00',
  created_at: '',
  updated_at: '',
  ...over,
});

describe('amounts on the page', () => {
  it('keep every digit', () => {
    expect(text(html(Money, { amount: '1234.50', currency: 'EUR' }))).toBe('1,234.50 EUR');
    expect(text(html(Money, { amount: '98765432109876543.21', currency: 'USD' }))).toBe('98,765,432,109,876,543.21 USD');
    const out = html(Money, { amount: '-0.125', currency: 'EUR', tone: true });
    expect(out).toContain('data-amount="-0.125"');
    expect(out).toContain('text-error');
    expect(text(out)).toBe('-0.125 EUR');
  });
});

describe('the overview’s accounts', () => {
  it('groups assets and liabilities with their balances and net worth per currency', () => {
    const out = html(AccountList, {
      accounts: [
        account({ id: 'a', name: 'Checking', balance: '1234.50' }),
        account({ id: 'b', name: 'Card', kind: 'liability', subtype: 'credit_card', balance: '-200.05' }),
        account({ id: 'c', name: 'Yen wallet', subtype: 'cash', balance: '5000', currency: 'JPY' }),
        account({ id: 'd', name: 'Old', balance: '10.00', closed_at: '2027-01-01T00:00:00Z' }),
      ],
    });
    const t = text(out);
    expect(t).toMatch(/Assets Checking Checking 1,234.50 EUR Yen wallet Cash 5,000 JPY Liabilities Card Credit card -200.05 EUR/);
    // The closed account's balance still counts: it is money the person has.
    expect(t).toMatch(/Net worth EUR 1,044.45 EUR JPY 5,000 JPY/);
    expect(t).not.toContain('Old');
  });
});

describe('the new transaction form', () => {
  const accounts = [account({ id: 'a1', name: 'Checking', currency: 'USD' }), account({ id: 'a2', name: 'Savings', currency: 'EUR' })];
  const categories = [account({ id: 'g', kind: 'expense', name: 'Groceries', currency: null, balance: null }), account({ id: 'u', kind: 'expense', role: 'uncategorised_expense', name: 'Uncategorised expense', currency: null, balance: null })];

  it('shows a 422 under the field it names, wired to the input', () => {
    const error = new ApiError(422, 'invalid: amount', { amount: ['12.345 has more decimal places than USD has (2)'], splits: ['do not balance'] });
    const errors = apiFieldErrors(error.fields, ['amount', 'category_id'] as const, error.message);
    const out = html(TransactionForm, { accounts, categories, today: '2027-03-02', initialErrors: errors, onCreated: () => {} });
    const under = /<label[^>]*>\s*<span[^>]*>Amount \(USD\)<\/span><input([^>]*)\/?>\s*<p id="([^"]+)"[^>]*data-testid="field-error"[^>]*>([^<]*)<\/p>/.exec(out);
    expect(under, out).not.toBeNull();
    const [, input, id, message] = under as RegExpExecArray;
    expect(message).toBe('12.345 has more decimal places than USD has (2)');
    expect(input).toContain('aria-invalid="true"');
    expect(input).toContain(`aria-describedby="${id}"`);
    expect(text(out)).toContain('splits do not balance');
    // Posey's own "uncategorised" category is what no choice means, not a choice.
    expect(out).toContain('>Groceries</option>');
    expect(out).not.toContain('>Uncategorised expense</option>');
  });
});

describe('the transactions list', () => {
  it('shows each from its account’s side with its category to change in place', () => {
    const t: Transaction = {
      id: 't1',
      date: '2027-03-02',
      currency: 'USD',
      payee_id: null,
      payee: 'Corner shop',
      description: null,
      notes: null,
      tags: ['food'],
      status: 'reconciled',
      import_id: null,
      source: null,
      splits: [
        { id: 's1', account_id: 'a1', account_name: 'Checking', account_kind: 'asset', amount: '-1234.50', currency: 'USD', value: '-1234.50', rate: null, rate_date: null, memo: null },
        { id: 's2', account_id: 'g', account_name: 'Groceries', account_kind: 'expense', amount: '1234.50', currency: 'USD', value: '1234.50', rate: null, rate_date: null, memo: null },
      ],
      created_at: '',
      updated_at: '',
    };
    const out = html(Transactions, {
      transactions: [t],
      accounts: [account({ id: 'a1', currency: 'USD' })],
      categories: [account({ id: 'g', kind: 'expense', name: 'Groceries', currency: null, balance: null })],
      today: '2027-03-05',
    });
    expect(text(out)).toMatch(/2 Mar 2027 Corner shop food Checking Groceries -1,234.50 USD reconciled Edit Delete/);
    expect(out).toMatch(/<select[^>]*aria-label="Category of Corner shop on 2 Mar 2027"/);
    expect(out).toMatch(/<option value="g" selected="">Groceries<\/option>/);
  });
});

describe('the import preview', () => {
  it('marks new and duplicate lines and says whether the balance matches', () => {
    const preview: FinanceImport = {
      id: 'i1',
      account_id: 'a1',
      format: 'ofx',
      file_name: 'checking.ofx',
      state: 'preview',
      new_lines: 2,
      duplicate_lines: 1,
      added: null,
      skipped: null,
      balance_check: { date: '2013-05-25', stated: '100.99', after_import: '100.99', matches: true },
      lines: [
        { date: '2011-03-31', amount: '0.01', payee: 'DIVIDEND', file_payee: null, description: null, reference: '0000486', check_number: null, category_id: null, category: null, tags: [], rules: [], duplicate: false, source: 'STMTTRN 1', import_key: 'k1' },
        { date: '2011-04-05', amount: '-34.51', payee: 'ELECTRIC', file_payee: null, description: null, reference: '0000487', check_number: null, category_id: 'c', category: 'Utilities', tags: [], rules: ['r'], duplicate: false, source: 'STMTTRN 2', import_key: 'k2' },
        { date: '2011-04-07', amount: '-25.00', payee: 'FEE', file_payee: null, description: null, reference: '0000488', check_number: '319', category_id: null, category: null, tags: [], rules: [], duplicate: true, source: 'STMTTRN 3', import_key: 'k3' },
      ],
      created_at: '',
      committed_at: null,
      expires_at: null,
    };
    const out = html(Preview, { preview, account: account({ id: 'a1', name: 'Checking', currency: 'USD' }), busy: false, onCommit: () => {}, onDiscard: () => {} });
    const t = text(out);
    expect(t).toContain('2 new, 1 already there');
    expect(t).toContain('The balance matches: the file says 100.99 USD at the end of 25 May 2013; with these lines the account would hold 100.99 USD.');
    expect(t).toMatch(/5 Apr 2011 ELECTRIC Utilities -34.51 USD new/);
    expect(t).toMatch(/7 Apr 2011 FEE Uncategorised -25.00 USD duplicate/);
    expect(t).toContain('Commit 2 new transactions');
    const mismatch = html(Preview, { preview: { ...preview, balance_check: { date: '2013-05-25', stated: '100.99', after_import: '90.00', matches: false } }, busy: false, onCommit: () => {}, onDiscard: () => {} });
    expect(mismatch).toContain('alert-error');
    expect(text(mismatch)).toContain('The balance does not match');

    // A long file: the table shows the first lines and says so; committing takes all.
    const line = preview.lines![0];
    const many = Array.from({ length: SHOWN_LINES + 1 }, (_, i) => ({ ...line, import_key: `k${i}`, source: `STMTTRN ${i + 1}` }));
    const long = html(Preview, { preview: { ...preview, lines: many, new_lines: many.length, duplicate_lines: 0 }, busy: false, onCommit: () => {}, onDiscard: () => {} });
    expect(long.match(/data-testid="preview-line"/g)).toHaveLength(SHOWN_LINES);
    expect(text(long)).toContain(`The first ${SHOWN_LINES} of ${SHOWN_LINES + 1} lines are shown; committing takes them all.`);
    expect(text(long)).toContain(`Commit ${SHOWN_LINES + 1} new transactions`);
  });
});

describe('the budget', () => {
  const month: BudgetMonth = {
    month: '2027-03',
    currency: 'EUR',
    income: '3000.00',
    budgeted: '450.00',
    activity: '-520.10',
    carried_in: '0.00',
    overspent_last_month: '0.00',
    to_be_budgeted: '2550.00',
    categories: [
      { category_id: 'f', name: 'Food', parent_id: null, rollover_overspending: false, budgeted: '0.00', activity: '0.00', carried_in: '0.00', available: '0.00', overspent: false },
      { category_id: 'g', name: 'Groceries', parent_id: 'f', rollover_overspending: false, budgeted: '400.00', activity: '-500.10', carried_in: '0.00', available: '-100.10', overspent: true },
      { category_id: 'b', name: 'Books', parent_id: null, rollover_overspending: false, budgeted: '50.00', activity: '-20.00', carried_in: '0.00', available: '30.00', overspent: false },
    ],
  };

  it('orders categories as a tree', () => {
    expect(treeOrder(month.categories).map(({ c, depth }) => `${depth}:${c.name}`)).toEqual(['0:Food', '1:Groceries', '0:Books']);
  });

  it('shows envelopes with overspent ones in red and what is left to budget', () => {
    const out = html(Budget, { budget: month });
    expect(text(out)).toContain('To be budgeted 2,550.00 EUR');
    expect(out).toMatch(/data-category="Groceries" data-overspent="true"[\s\S]*?value="400.00"[\s\S]*?-500.10 EUR[\s\S]*?badge-error[\s\S]*?-100.10 EUR[\s\S]*?overspent/);
    expect(out).toMatch(/data-category="Books" data-overspent="false"[\s\S]*?30.00 EUR/);
    expect(out).toContain('aria-label="Budgeted for Books"');
  });
});

describe('charts', () => {
  it('bars carry the exact figures', () => {
    const out = html(HBars, {
      title: 'Spending',
      rows: [
        { key: 'a', label: 'Rent', amount: '1200.00', currency: 'EUR' },
        { key: 'b', label: 'Groceries', amount: '300.005', currency: 'EUR' },
      ],
    });
    expect(text(out)).toBe('Name Share Amount Rent 1,200.00 EUR Groceries 300.005 EUR');
    expect(out).toContain('width:100.0%');
    expect(out).toContain('width:25.0%');
  });

  it('cash flow and net worth have their tables beside the drawing', () => {
    const cash = html(CashFlowChart, { currency: 'EUR', months: [{ month: '2027-02', income: '3000.00', expenses: '1234.56', net: '1765.44' }] });
    expect(cash).toContain('<svg role="img"');
    expect(text(cash)).toContain('Feb 2027 3,000.00 EUR 1,234.56 EUR 1,765.44 EUR');
    const worth = html(NetWorthChart, { currency: 'EUR', points: [{ month: '2027-01', assets: '100.00', liabilities: '0.00', net: '100.00' }, { month: '2027-02', assets: '150.00', liabilities: '20.00', net: '130.00' }] });
    expect(worth).toMatch(/<path d="M[\d.]+,[\d.]+ L[\d.]+,[\d.]+"/);
    expect(text(worth)).toContain('Feb 2027 150.00 EUR 20.00 EUR 130.00 EUR');
  });
});

describe('rules', () => {
  it('are said in words', () => {
    const names = new Map([
      ['g', 'Groceries'],
      ['a', 'Checking'],
    ]);
    expect(describeRule({ conditions: [{ type: 'payee_contains', value: 'rewe' }], actions: [{ type: 'set_category', id: 'g' }], match_all: true }, names)).toBe('payee contains “rewe” → category Groceries');
    expect(
      describeRule(
        {
          conditions: [
            { type: 'amount_between', min: '-50.00', max: '-10.00' },
            { type: 'account', id: 'a' },
          ],
          actions: [
            { type: 'set_payee', name: 'Rewe' },
            { type: 'add_tag', tag: 'food' },
          ],
          match_all: false,
        },
        names,
      ),
    ).toBe('amount from -50.00 to -10.00 or account is Checking → payee “Rewe”, tag “food”');
  });
});

// The finance pages' plans and edits without a browser: cadences in words, the JSON a recurring
// transaction, a bill, split lines and a rule of several conditions become (and what is wrong
// with them, per field), what split lines are off by, and those forms and lists rendered.

import { createElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';

vi.mock('next/navigation', () => ({ useRouter: () => ({ refresh: () => {} }), usePathname: () => '/finance/recurring' }));

import { Bills } from '@/components/finance/bills';
import { Recurring } from '@/components/finance/recurring';
import { Rules } from '@/components/finance/rules';
import { SplitFields } from '@/components/finance/split-fields';
import { TransactionForm } from '@/components/finance/transaction-form';
import {
  billBody,
  billForm,
  cadenceLabel,
  cadenceParts,
  exportHref,
  recurringBody,
  recurringForm,
  ruleApiErrors,
  ruleDrafts,
  ruleOf,
  splitLines,
  splitsBody,
  splitsTotal,
  type Bill,
  type FinanceAccount,
  type RecurringForm,
  type RecurringView,
  type SplitLine,
  type Transaction,
} from '@/lib/finance';

const html = <P extends object>(type: (props: P) => ReactNode, props: P) => renderToStaticMarkup(createElement(type, props));
const text = (markup: string) =>
  markup
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ')
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

const accounts = [account({ id: 'a1' }), account({ id: 'a2', name: 'Savings' }), account({ id: 'a3', name: 'Dollars', currency: 'USD' })];
const categories = [
  account({ id: 'rent', kind: 'expense', name: 'Rent', currency: null, balance: null }),
  account({ id: 'food', kind: 'expense', name: 'Groceries', currency: null, balance: null }),
  account({ id: 'pay', kind: 'income', name: 'Salary', currency: null, balance: null }),
];

describe('cadences', () => {
  it('are said in words', () => {
    expect(cadenceLabel({ months: 1 })).toBe('every month');
    expect(cadenceLabel({ weeks: 2 })).toBe('every 2 weeks');
    expect(cadenceLabel({ days: 1 })).toBe('every day');
    expect(cadenceLabel({ years: 1 })).toBe('every year');
    expect(cadenceParts({ days: 10 })).toEqual({ unit: 'days', every: 10 });
  });
});

const recurring = (over: Partial<RecurringForm>): RecurringForm => ({
  name: 'Rent',
  unit: 'months',
  every: '1',
  starts: '2027-02-01',
  ends: '',
  notes: '',
  kind: 'expense',
  account_id: 'a1',
  amount: '850',
  category_id: 'rent',
  transfer_account_id: '',
  transfer_amount: '',
  payee: ' Landlord ',
  description: '',
  tags: 'home, fixed',
  ...over,
});

const view: RecurringView = {
  id: 'r1',
  name: 'Rent',
  cadence: { months: 1 },
  starts: '2027-02-01',
  ends: null,
  next_date: '2027-03-01',
  upcoming: ['2027-03-01', '2027-04-01'],
  paused: false,
  posted: 1,
  last_posted: '2027-02-01',
  last_transaction_id: 't1',
  last_error: null,
  currency: 'EUR',
  payee: 'Landlord',
  description: null,
  notes: null,
  tags: ['home'],
  account_id: 'a1',
  amount: '-850.00',
  category_id: 'rent',
  transfer_account_id: null,
  transfer_amount: null,
  splits: null,
  created_at: '',
  updated_at: '',
};

describe('recurring transactions', () => {
  it('a new one is what is posted and when, the amount signed by its kind', () => {
    expect(recurringBody(recurring({}), accounts)).toEqual({
      body: { name: 'Rent', cadence: { months: 1 }, starts: '2027-02-01', account_id: 'a1', amount: '-850', category_id: 'rent', payee: 'Landlord', tags: ['home', 'fixed'] },
    });
    expect(recurringBody(recurring({ kind: 'transfer', amount: '100', transfer_account_id: 'a3', transfer_amount: '108.20', unit: 'weeks', every: '2', ends: '2027-12-31', tags: '', payee: '' }), accounts)).toEqual({
      body: { name: 'Rent', cadence: { weeks: 2 }, starts: '2027-02-01', ends: '2027-12-31', account_id: 'a1', amount: '-100', transfer_account_id: 'a3', transfer_amount: '108.20' },
    });
  });

  it('says what is wrong per field', () => {
    expect(recurringBody(recurring({ name: ' ', every: '0', starts: '', amount: '' }), accounts)).toEqual({
      errors: { name: ['Give it a name, like “Rent”.'], cadence: ['Give how often as a whole number from 1 to 1000.'], starts: ['Give the first date.'], amount: ['Give the amount.'] },
    });
    expect(recurringBody(recurring({ ends: '2027-01-01' }), accounts)).toEqual({ errors: { ends: ['The last date must not be before the first.'] } });
  });

  it('a change clears what was emptied, and a split one keeps its splits', () => {
    const change = recurringBody(recurring({ payee: '', tags: '' }), accounts, { change: true });
    expect(change).toMatchObject({ body: { ends: null, payee: null, description: null, notes: null, tags: [] } });
    const kept = recurringBody(recurring({ amount: '', payee: '', tags: '' }), accounts, { change: true, keepSplits: true });
    expect(kept).toEqual({ body: { name: 'Rent', cadence: { months: 1 }, starts: '2027-02-01', ends: null, payee: null, description: null, notes: null, tags: [] } });
    expect(kept).not.toHaveProperty('body.amount');
  });

  it('a saved one fills the form back', () => {
    expect(recurringForm(view)).toMatchObject({ kind: 'expense', amount: '850.00', unit: 'months', every: '1', tags: 'home', ends: '' });
    expect(recurringForm({ ...view, amount: '2000.00', category_id: 'pay' }).kind).toBe('income');
    expect(recurringBody(recurringForm(view), accounts)).toMatchObject({ body: { amount: '-850.00', category_id: 'rent' } });
  });

  it('the list says when and what, and each can be paused, skipped, changed or deleted', () => {
    const out = html(Recurring, { items: [view, { ...view, id: 'r2', name: 'Gym', payee: null, paused: true, last_error: 'Checking is closed', next_date: null, upcoming: [], posted: 0, amount: null, splits: [{ account_id: 'a1', amount: '-30.00', value: null, rate_date: null, memo: null }, { account_id: 'food', amount: '30.00', value: null, rate_date: null, memo: null }] }], accounts, categories, today: '2027-02-10' });
    const t = text(out);
    expect(t).toContain('Rent -850.00 EUR every month from 1 Feb 2027, from Checking, Rent (payee “Landlord”) Next: 1 Mar 2027; then 1 Apr 2027 Posted 1 time, last on 1 Feb 2027.');
    expect(t).toContain('Gym paused every month from 1 Feb 2027, split: Checking, Groceries No dates left. Paused because: Checking is closed');
    expect(out).toContain('aria-label="Skip next date of Rent"');
    expect(out).toContain('aria-label="Resume Gym"');
    expect(out).toMatch(/<button[^>]*disabled=""[^>]*aria-label="Skip next date of Gym"/);
    expect(t).toContain('New recurring transaction');
  });
});

const bill: Bill = {
  id: 'b1',
  name: 'Phone',
  payee_contains: 'telco',
  amount: '-49.99',
  tolerance: '5.00',
  cadence: { months: 1 },
  starts: '2027-01-15',
  ends: null,
  account_id: 'a1',
  currency: 'EUR',
  created_at: '',
  updated_at: '',
};

describe('bills', () => {
  it('are money out, from an account or any in a currency', () => {
    expect(billBody(billForm(bill))).toEqual({ body: { name: 'Phone', payee_contains: 'telco', amount: '-49.99', tolerance: '5.00', cadence: { months: 1 }, starts: '2027-01-15', account_id: 'a1' } });
    expect(billBody({ ...billForm(bill), account_id: '', currency: 'usd', tolerance: '', ends: '2027-12-15' }, { change: true })).toEqual({
      body: { name: 'Phone', payee_contains: 'telco', amount: '-49.99', tolerance: '0', cadence: { months: 1 }, starts: '2027-01-15', ends: '2027-12-15', account_id: null, currency: 'USD' },
    });
    expect(billBody({ ...billForm(bill) }, { change: true })).toMatchObject({ body: { ends: null, account_id: 'a1' } });
    expect(billBody({ ...billForm(bill), amount: '0', tolerance: '-1', every: 'x', account_id: '', currency: 'E' })).toEqual({
      errors: {
        amount: ['The amount must not be zero.'],
        tolerance: ['Write how far off a payment may be as digits, like 5.00.'],
        currency: ['Give the three-letter currency code, like EUR.'],
        cadence: ['Give how often as a whole number from 1 to 1000.'],
      },
    });
  });

  it('are listed with their dues and a form to add one', () => {
    const out = html(Bills, {
      bills: [bill],
      dues: { from: '2027-01-01', today: '2027-02-10', to: '2027-04-10', bills: [{ bill_id: 'b1', name: 'Phone', account_id: 'a1', currency: 'EUR', amount: '-49.99', dues: [{ date: '2027-01-15', status: 'paid', transaction_id: 't' }, { date: '2027-02-15', status: 'upcoming', transaction_id: null }] }] },
      accounts,
      currency: 'EUR',
      today: '2027-02-10',
    });
    const t = text(out);
    expect(t).toContain('Phone -49.99 EUR every month from 15 Jan 2027, paid from Checking, payee containing “telco”, give or take 5.00 EUR 15 Jan 2027 paid 15 Feb 2027 upcoming');
    expect(t).toContain('New bill');
    expect(out).toContain('aria-label="Edit Phone"');
  });
});

describe('split lines', () => {
  const line = (account_id: string, amount: string, value = '', memo = ''): SplitLine => ({ account_id, amount, value, memo });

  it('are off by what they add up to, in the transaction’s currency', () => {
    expect(splitsTotal([line('a1', '-100.00'), line('food', '60'), line('rent', '40.00')], 'EUR', [...accounts, ...categories])).toBe('0.00');
    expect(splitsTotal([line('a1', '-100.00'), line('food', '60'), line('rent', '')], 'EUR', accounts)).toBe('-40.00');
    // A dollar account counts with what it is worth in euros.
    expect(splitsTotal([line('a3', '-108.20', '-100.00'), line('food', '100.00')], 'EUR', accounts)).toBe('0.00');
  });

  it('become currency and splits, or say which line is wrong as agents would', () => {
    const form = { currency: 'EUR', date: '2027-02-10', payee: 'Market', description: '', tags: '' };
    expect(splitsBody({ ...form, lines: [line('a1', '-100.00'), line('food', '60', '', 'fruit'), line('rent', '40')] }, accounts)).toEqual({
      body: {
        currency: 'EUR',
        splits: [
          { account_id: 'a1', amount: '-100.00' },
          { account_id: 'food', amount: '60', memo: 'fruit' },
          { account_id: 'rent', amount: '40' },
        ],
        date: '2027-02-10',
        payee: 'Market',
      },
    });
    expect(splitsBody({ ...form, lines: [line('a1', '-100.00'), line('food', '60')] }, accounts)).toEqual({ errors: { splits: ['The lines must add up to zero; they are off by -40.00 EUR.'] } });
    expect(splitsBody({ ...form, lines: [line('a1', '-1x'), line('', '60'), line('', '', '', '')] }, accounts)).toEqual({
      errors: { 'splits[0].amount': ['Write the amount as digits, like -12.50.'], 'splits[1].account_id': ['Choose an account or category.'] },
    });
    expect(splitsBody({ ...form, lines: [line('a3', '-108.20'), line('food', '100')] }, accounts)).toEqual({ errors: { 'splits[0].value': ['Give what it is worth in EUR.'] } });
    expect(splitsBody({ ...form, lines: [line('a1', '-5'), line('food', '5')], payee: '' }, accounts, { change: true })).toMatchObject({ body: { payee: null, description: null, tags: [] } });
  });

  it('a saved transaction’s splits are its lines', () => {
    const t = {
      currency: 'EUR',
      splits: [
        { account_id: 'a3', currency: 'USD', amount: '-108.20', value: '-100.00', memo: null },
        { account_id: 'food', currency: 'EUR', amount: '100.00', value: '100.00', memo: 'weekly' },
      ],
    } as unknown as Transaction;
    expect(splitLines(t)).toEqual([line('a3', '-108.20', '-100.00'), line('food', '100.00', '', 'weekly')]);
  });

  it('show what they are off by, and agents’ line errors under their line', () => {
    const out = html(SplitFields, {
      currency: 'EUR',
      lines: [line('a1', '-100.00'), line('food', '60')],
      onCurrency: () => {},
      onLines: () => {},
      currencies: ['EUR', 'USD'],
      errors: { 'splits[1].amount': ['has more decimal places than EUR has'] },
      fid: (f: string) => `x-${f.replace(/[^\w-]/g, '_')}`,
      accounts,
      categories,
    });
    expect(text(out)).toContain('Off by -40.00 EUR: the lines must add up to zero.');
    expect(out).toMatch(/role="status"[^>]*data-testid="split-remainder"/);
    expect(out).toMatch(/aria-invalid="true" aria-describedby="x-splits_1__amount"/);
    expect(out).toContain('<p id="x-splits_1__amount" class="text-sm text-error" data-testid="field-error">has more decimal places than EUR has</p>');
    const balanced = html(SplitFields, { currency: 'EUR', lines: [line('a1', '-60'), line('food', '60')], onCurrency: () => {}, onLines: () => {}, currencies: ['EUR'], errors: {}, fid: (f: string) => f, accounts, categories });
    expect(text(balanced)).toContain('The lines balance.');
  });

  it('a transaction being changed opens on its split lines', () => {
    const t: Transaction = {
      id: 't1',
      date: '2027-02-10',
      currency: 'EUR',
      payee_id: null,
      payee: 'Market',
      description: null,
      notes: null,
      tags: [],
      status: 'reconciled',
      import_id: null,
      source: null,
      splits: [
        { id: 's1', account_id: 'a1', account_name: 'Checking', account_kind: 'asset', amount: '-100.00', currency: 'EUR', value: '-100.00', rate: null, rate_date: null, memo: null },
        { id: 's2', account_id: 'food', account_name: 'Groceries', account_kind: 'expense', amount: '100.00', currency: 'EUR', value: '100.00', rate: null, rate_date: null, memo: null },
      ],
      created_at: '',
      updated_at: '',
    };
    const out = html(TransactionForm, { accounts, categories, today: '2027-02-11', editing: t, onCreated: () => {} });
    expect(text(out)).toContain('Change “Market”');
    expect(text(out)).toContain('The lines balance.');
    expect(out).toContain('value="-100.00"');
    expect(out).toContain('Save changes');
    expect(out).not.toContain('role="radiogroup"');
  });

  it('what a recurring transaction posted is marked so in the list', async () => {
    const { Transactions } = await import('@/components/finance/transactions');
    const base = { id: 't', date: '2027-02-10', currency: 'EUR', payee_id: null, description: null, notes: null, tags: [], status: 'uncleared', import_id: null, source: null, created_at: '', updated_at: '' };
    const splits = [
      { id: 's1', account_id: 'a1', account_name: 'Checking', account_kind: 'asset', amount: '-850.00', currency: 'EUR', value: '-850.00', rate: null, rate_date: null, memo: null },
      { id: 's2', account_id: 'rent', account_name: 'Rent', account_kind: 'expense', amount: '850.00', currency: 'EUR', value: '850.00', rate: null, rate_date: null, memo: null },
    ];
    const out = html(Transactions, { transactions: [{ ...base, payee: 'Landlord', recurring_id: 'r1', splits }, { ...base, id: 'u', payee: 'Shop', recurring_id: null, splits }], accounts, categories, today: '2027-02-11' });
    expect(out.match(/data-testid="posted-by-recurring"/g)).toHaveLength(1);
    expect(text(out)).toContain('Landlord recurring');
  });
});

describe('rules of several conditions', () => {
  it('become posey-finance’s rule, or say which row is wrong', () => {
    const c = (type: string, over: object = {}) => ({ type, value: '', min: '', max: '', id: '', ...over });
    expect(ruleOf([c('payee_contains', { value: ' rewe ' }), c('amount_between', { min: '-50', max: '-10.00' }), c('outflow')], [{ type: 'set_category', value: 'food' }, { type: 'add_tag', value: 'weekly' }], false)).toEqual({
      rule: {
        conditions: [{ type: 'payee_contains', value: 'rewe' }, { type: 'amount_between', min: '-50', max: '-10.00' }, { type: 'outflow' }],
        actions: [{ type: 'set_category', id: 'food' }, { type: 'add_tag', tag: 'weekly' }],
        match_all: false,
      },
    });
    expect(ruleOf([c('payee_is'), c('amount_between', { min: '5', max: '1' }), c('account')], [{ type: 'set_payee', value: '' }, { type: 'add_tag', value: 'a,b' }], true)).toEqual({
      errors: {
        'conditions[0]': ['Give the words to look for.'],
        'conditions[1]': ['The lowest amount must not be above the highest.'],
        'conditions[2]': ['Choose the account.'],
        'actions[0]': ['Give the payee it sets.'],
        'actions[1]': ['A tag is 1 to 50 characters, no commas.'],
      },
    });
    expect(ruleOf([], [], true)).toEqual({ errors: { rule: ['A rule needs at least one condition.', 'A rule needs at least one action.'] } });
  });

  it('a saved one fills the rows back, and agents’ objections go to their row', () => {
    const rule = { conditions: [{ type: 'amount_equals', amount: '-9.99' }, { type: 'account', id: 'a1' }], actions: [{ type: 'set_payee', name: 'Spotify' }], match_all: true };
    const drafts = ruleDrafts(rule);
    expect(drafts.conditions.map((d) => [d.type, d.value, d.id])).toEqual([
      ['amount_equals', '-9.99', ''],
      ['account', '', 'a1'],
    ]);
    expect(ruleOf(drafts.conditions, drafts.actions, true)).toEqual({ rule });
    expect(ruleApiErrors({ 'rule.actions[0].id': ['no such category'], rule: ['a rule needs at least one action'], name: ['must be 1 to 200 characters'] }, 'invalid')).toEqual({
      'actions[0]': ['no such category'],
      rule: ['a rule needs at least one action'],
      name: ['must be 1 to 200 characters'],
    });
  });

  it('the rules page offers rows to add and each rule to change', () => {
    const out = html(Rules, {
      rules: [{ id: 'r', name: 'Coffee', position: 0, enabled: true, rule: { conditions: [{ type: 'payee_contains', value: 'starbucks' }], actions: [{ type: 'set_category', id: 'food' }], match_all: true }, created_at: '', updated_at: '' }],
      categories,
      accounts,
    });
    expect(out).toContain('aria-label="Edit Coffee"');
    expect(text(out)).toContain('Conditions Condition 1: type');
    expect(text(out)).toContain('Add a condition');
    expect(text(out)).toContain('Add an action');
  });
});

describe('export', () => {
  it('goes through the BFF', () => {
    expect(exportHref('csv')).toBe('/api/agents/v1/finance/export.csv');
    expect(exportHref('journal')).toBe('/api/agents/v1/finance/export.journal');
  });
});

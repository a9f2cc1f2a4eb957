// The finance pages' pure parts: amounts kept exact as strings (formatting never drops a digit,
// sums are exact), months, a transaction from one account's side, the listing's filters and
// query, the new-transaction JSON, a 422's fields, and the charts' proportions.

import { describe, expect, it } from 'vitest';

import {
  addAmounts,
  addMonth,
  apiFieldErrors,
  categoryPath,
  cleanAmount,
  compareAmounts,
  entryBody,
  filtersHref,
  formatAmount,
  isDecimal,
  lastDayOf,
  linePoints,
  listQuery,
  monthLabel,
  monthRange,
  negate,
  netWorth,
  parseFilters,
  proportions,
  sumAmounts,
  viewOf,
  type EntryForm,
  type FinanceAccount,
  type Transaction,
} from '@/lib/finance';

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
  created_at: '2027-01-01T00:00:00Z',
  updated_at: '2027-01-01T00:00:00Z',
  ...over,
});

const split = (account_id: string, account_kind: string, amount: string, account_name = account_id) => ({
  id: `s-${account_id}`,
  account_id,
  account_name,
  account_kind,
  amount,
  currency: 'EUR',
  value: amount,
  rate: null,
  rate_date: null,
  memo: null,
});

const txn = (splits: Transaction['splits'], over: Partial<Transaction> = {}): Transaction => ({
  id: 't1',
  date: '2027-03-02',
  currency: 'EUR',
  payee_id: null,
  payee: 'Bakery',
  description: null,
  notes: null,
  tags: [],
  status: 'uncleared',
  import_id: null,
  source: null,
  splits,
  created_at: '',
  updated_at: '',
  ...over,
});

describe('amounts', () => {
  it('are formatted keeping every digit', () => {
    expect(formatAmount('1234.50', 'EUR')).toBe('1,234.50 EUR');
    expect(formatAmount('1234.5', 'EUR')).toBe('1,234.50 EUR');
    expect(formatAmount('-1234567.89', 'USD')).toBe('-1,234,567.89 USD');
    expect(formatAmount('0.125', 'EUR')).toBe('0.125 EUR');
    expect(formatAmount('12345678901234567890.12', 'EUR')).toBe('12,345,678,901,234,567,890.12 EUR');
    expect(formatAmount('0.1', 'EUR')).toBe('0.10 EUR');
    expect(formatAmount('5000', 'JPY')).toBe('5,000 JPY');
    expect(formatAmount('1.5', 'KWD')).toBe('1.500 KWD');
    expect(formatAmount('-0.00', 'EUR')).toBe('0.00 EUR');
    expect(formatAmount('12.50', 'EUR', { signed: true })).toBe('+12.50 EUR');
    expect(formatAmount('12.50', 'EUR', { bare: true })).toBe('12.50');
    // What is not an amount is shown as it came, not as NaN.
    expect(formatAmount('n/a', 'EUR')).toBe('n/a EUR');
  });

  it('add up exactly where floats would not', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(addAmounts('0.1', '0.2')).toBe('0.3');
    expect(sumAmounts(['1234.50', '-34.51', '-25.00', '0.01'])).toBe('1175.00');
    expect(sumAmounts(['9007199254740993.01', '1.00'])).toBe('9007199254740994.01');
    expect(addAmounts('-10.00', '2.5')).toBe('-7.50');
    expect(sumAmounts([])).toBe('0');
    expect(negate('12.50')).toBe('-12.50');
    expect(negate('-0.01')).toBe('0.01');
    expect(compareAmounts('10.00', '9.999')).toBe(1);
    expect(compareAmounts('-1', '0')).toBe(-1);
    expect(compareAmounts('1.0', '1.00')).toBe(0);
  });

  it('are read as typed', () => {
    expect(cleanAmount(' 1,234.50 ')).toBe('1234.50');
    expect(cleanAmount('12,50')).toBe('12.50');
    expect(cleanAmount('+7')).toBe('7');
    expect(cleanAmount("1'000.00")).toBe('1000.00');
    expect(isDecimal('12.50')).toBe(true);
    expect(isDecimal('-.5')).toBe(true);
    expect(isDecimal('12.5.0')).toBe(false);
    expect(isDecimal('1e3')).toBe(false);
    expect(isDecimal('')).toBe(false);
  });
});

describe('months', () => {
  it('step, name and bound a month', () => {
    expect(addMonth('2027-01', -1)).toBe('2026-12');
    expect(addMonth('2027-12', 1)).toBe('2028-01');
    expect(addMonth('2027-03', -14)).toBe('2026-01');
    expect(monthLabel('2027-03')).toBe('March 2027');
    expect(monthRange('2027-12')).toEqual({ from: '2027-12-01', to: '2028-01-01' });
    expect(lastDayOf('2028-02')).toBe('2028-02-29');
  });
});

describe('accounts', () => {
  it('net worth is per currency, liabilities taken off, never two currencies added', () => {
    const accounts = [
      account({ id: 'a', balance: '1000.10', currency: 'EUR' }),
      account({ id: 'b', kind: 'liability', balance: '-250.05', currency: 'EUR' }),
      account({ id: 'c', balance: '5000', currency: 'JPY' }),
      account({ id: 'x', kind: 'expense', balance: null, currency: null }),
    ];
    expect(netWorth(accounts)).toEqual([
      { currency: 'EUR', amount: '750.05' },
      { currency: 'JPY', amount: '5000' },
    ]);
  });

  it('names a category with its parents', () => {
    const food = account({ id: 'f', kind: 'expense', name: 'Food', currency: null, balance: null });
    const groceries = account({ id: 'g', kind: 'expense', name: 'Groceries', parent_id: 'f', currency: null, balance: null });
    expect(categoryPath(groceries, [food, groceries])).toBe('Food › Groceries');
  });
});

describe('transactions', () => {
  const cats = [account({ id: 'u', kind: 'expense', role: 'uncategorised_expense', name: 'Uncategorised expense' }), account({ id: 'g', kind: 'expense', name: 'Groceries' })];

  it('are seen from the filtered account’s side', () => {
    const t = txn([split('a1', 'asset', '-12.50', 'Checking'), split('g', 'expense', '12.50', 'Groceries')]);
    const v = viewOf(t, cats);
    expect(v.main?.amount).toBe('-12.50');
    expect(v.category?.account_id).toBe('g');
    expect(v.transfer).toBe(false);
    expect(v.uncategorised).toBe(false);

    const transfer = txn([split('a1', 'asset', '-100.00', 'Checking'), split('a2', 'asset', '100.00', 'Savings')]);
    expect(viewOf(transfer, cats, 'a2').main?.account_name).toBe('Savings');
    expect(viewOf(transfer, cats).transfer).toBe(true);

    const open = txn([split('a1', 'asset', '-3.00'), split('u', 'expense', '3.00')]);
    expect(viewOf(open, cats).uncategorised).toBe(true);
  });

  it('filters come from the URL and go to agents with the last day included', () => {
    const id = '0193a5f0-0000-7000-8000-000000000001';
    const f = parseFilters({ account_id: id, category_id: 'not-a-uuid', q: ' rent ', from: '2027-03-01', to: '2027-03-31', uncategorised: 'true', page: '3' });
    expect(f).toEqual({ account_id: id, category_id: undefined, q: 'rent', from: '2027-03-01', to: '2027-03-31', uncategorised: true, import_id: undefined, page: 3 });
    const q = new URLSearchParams(listQuery(f));
    expect(q.get('to')).toBe('2027-04-01');
    expect(q.get('limit')).toBe('51');
    expect(q.get('offset')).toBe('100');
    expect(q.get('uncategorised')).toBe('true');
    expect(filtersHref({ ...f, page: 1 })).toBe(`/finance/transactions?account_id=${id}&q=rent&from=2027-03-01&to=2027-03-31&uncategorised=true`);
    expect(parseFilters({ page: '-2', from: '2027-13-45' })).toMatchObject({ page: 1, from: undefined });
  });

  const form = (over: Partial<EntryForm>): EntryForm => ({
    kind: 'expense',
    date: '2027-03-02',
    account_id: 'a1',
    amount: '',
    category_id: '',
    transfer_account_id: '',
    transfer_amount: '',
    payee: '',
    description: '',
    tags: '',
    ...over,
  });
  const accounts = [account({ id: 'a1', currency: 'EUR' }), account({ id: 'a2', name: 'Savings', currency: 'EUR' }), account({ id: 'a3', name: 'Dollars', currency: 'USD' })];

  it('an expense goes out of the account, income into it, amounts as typed strings', () => {
    expect(entryBody(form({ amount: '1,234.50', category_id: 'g', payee: ' Shop ', tags: 'food, weekly' }), accounts)).toEqual({
      body: { account_id: 'a1', amount: '-1234.50', category_id: 'g', date: '2027-03-02', payee: 'Shop', tags: ['food', 'weekly'] },
    });
    expect(entryBody(form({ kind: 'income', amount: '-2000.00' }), accounts)).toEqual({ body: { account_id: 'a1', amount: '2000.00', date: '2027-03-02' } });
  });

  it('a transfer needs the other account, and its amount when the currency differs', () => {
    expect(entryBody(form({ kind: 'transfer', amount: '100', transfer_account_id: 'a2' }), accounts)).toEqual({
      body: { account_id: 'a1', amount: '-100', transfer_account_id: 'a2', date: '2027-03-02' },
    });
    expect(entryBody(form({ kind: 'transfer', amount: '100', transfer_account_id: 'a3' }), accounts)).toEqual({
      errors: { transfer_amount: ['Give what Dollars receives in USD.'] },
    });
    expect(entryBody(form({ kind: 'transfer', amount: '100', transfer_account_id: 'a3', transfer_amount: '108.37' }), accounts)).toMatchObject({
      body: { transfer_amount: '108.37' },
    });
    expect(entryBody(form({ kind: 'transfer', amount: '100', transfer_account_id: 'a1' }), accounts)).toEqual({
      errors: { transfer_account_id: ['Choose another account than the one it leaves.'] },
    });
  });

  it('says what is wrong per field', () => {
    expect(entryBody(form({ amount: 'twelve' }), accounts)).toEqual({ errors: { amount: ['Write the amount as digits, like 12.50.'] } });
    expect(entryBody(form({ amount: '0.00' }), accounts)).toEqual({ errors: { amount: ['The amount must not be zero.'] } });
    expect(entryBody(form({ amount: '', account_id: '' }), accounts)).toEqual({ errors: { account_id: ['Choose an account.'], amount: ['Give the amount.'] } });
  });

  it('a 422’s fields go under the form’s fields, others to the form', () => {
    expect(apiFieldErrors({ amount: ['has more decimal places than USD has'], splits: ['do not balance'] }, ['amount', 'category_id'] as const)).toEqual({
      amount: ['has more decimal places than USD has'],
      form: ['splits do not balance'],
    });
    expect(apiFieldErrors({}, ['amount'] as const, 'Refused')).toEqual({ form: ['Refused'] });
  });
});

describe('charts', () => {
  it('bars are shares of the largest, by size', () => {
    expect(proportions(['50.00', '-100.00', '25.00', '0'])).toEqual([0.5, 1, 0.25, 0]);
    expect(proportions([])).toEqual([]);
    expect(proportions(['0.00'])).toEqual([0]);
  });

  it('a line spans the box with zero inside it', () => {
    const points = linePoints(['0', '100', '50'], 108, 108, 4);
    expect(points).toEqual([
      { x: 4, y: 104 },
      { x: 54, y: 4 },
      { x: 104, y: 54 },
    ]);
  });
});

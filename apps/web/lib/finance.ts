// The finance pages' pure parts: agents' `/v1/finance` JSON as the pages use it, amounts (exact
// decimal strings, never JS numbers: formatting and sums work on the digits), months, what a
// transaction looks like from one account, the listing's filters as a query, a 422's fields,
// and the charts' proportions (the one place an amount becomes a Number, for a bar's length).

// ---- The API's shapes -----------------------------------------------------------------------

export interface FinanceAccount {
  id: string;
  /** `asset`, `liability` (accounts), `income`, `expense` (categories), `equity`. */
  kind: string;
  subtype: string | null;
  name: string;
  parent_id: string | null;
  currency: string | null;
  on_budget: boolean;
  number: string | null;
  bank_id: string | null;
  rollover_overspending: boolean;
  /** Made by Posey: `opening`, `uncategorised_expense`, `uncategorised_income`. */
  role: string | null;
  closed_at: string | null;
  /** Debit positive, in `currency`: what an asset holds, minus what a liability owes. */
  balance: string | null;
  created_at: string;
  updated_at: string;
}

export interface Split {
  id: string;
  account_id: string;
  account_name: string;
  account_kind: string;
  amount: string;
  currency: string;
  value: string;
  rate: string | null;
  rate_date: string | null;
  memo: string | null;
}

export interface Transaction {
  id: string;
  date: string;
  currency: string;
  payee_id: string | null;
  payee: string | null;
  description: string | null;
  notes: string | null;
  tags: string[];
  status: 'uncleared' | 'cleared' | 'reconciled' | string;
  import_id: string | null;
  source: string | null;
  splits: Split[];
  created_at: string;
  updated_at: string;
}

export interface Payee {
  id: string;
  name: string;
  transactions: number;
  last_date: string | null;
}

export interface ImportLine {
  date: string;
  amount: string;
  payee: string | null;
  file_payee: string | null;
  description: string | null;
  reference: string | null;
  check_number: string | null;
  category_id: string | null;
  category: string | null;
  tags: string[];
  rules: string[];
  duplicate: boolean;
  source: string;
  import_key: string;
}

export interface BalanceCheck {
  date: string;
  stated: string;
  after_import: string;
  matches: boolean;
}

export interface FinanceImport {
  id: string;
  account_id: string;
  format: string;
  file_name: string | null;
  state: 'preview' | 'committed' | string;
  new_lines: number | null;
  duplicate_lines: number | null;
  added: number | null;
  skipped: number | null;
  balance_check?: BalanceCheck | null;
  lines?: ImportLine[] | null;
  created_at: string;
  committed_at: string | null;
  expires_at: string | null;
}

export interface Reconciled {
  id: string;
  account_id: string;
  statement_date: string;
  statement_balance: string;
  transactions: number;
}

export interface SavedCsvMapping {
  id: string;
  name: string;
  mapping: Record<string, unknown>;
  created_at: string;
}

export interface CsvPresetInfo {
  id: string;
  name: string;
  mapping: Record<string, unknown>;
}

export interface CategoryEnvelope {
  category_id: string;
  name: string;
  parent_id: string | null;
  rollover_overspending: boolean;
  budgeted: string;
  activity: string;
  carried_in: string;
  available: string;
  overspent: boolean;
}

export interface BudgetMonth {
  month: string;
  currency: string;
  income: string;
  budgeted: string;
  activity: string;
  carried_in: string;
  overspent_last_month: string;
  to_be_budgeted: string;
  categories: CategoryEnvelope[];
}

export interface CashFlowReport {
  months: { month: string; currency: string; income: string; expenses: string; net: string }[];
}

export interface SpendingReport {
  by: 'category' | 'payee' | string;
  kind: 'expense' | 'income' | string;
  totals: { id: string | null; name: string | null; currency: string; amount: string }[];
}

export interface NetWorthReport {
  months: { month: string; currency: string; assets: string; liabilities: string; net: string }[];
}

export interface UpcomingBills {
  from: string;
  today: string;
  to: string;
  bills: {
    bill_id: string;
    name: string;
    account_id: string | null;
    currency: string;
    amount: string;
    dues: { date: string; status: 'paid' | 'upcoming' | 'missed' | string; transaction_id: string | null }[];
  }[];
}

/** Rows of `rows` grouped by their currency, currencies in order. */
export function byCurrency<T extends { currency: string }>(rows: T[]): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const r of rows) groups.set(r.currency, [...(groups.get(r.currency) ?? []), r]);
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

// ---- Amounts --------------------------------------------------------------------------------

/** Digits after the point a currency's amounts have (ISO 4217); 2 when not listed here. */
const MINOR_UNITS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

export function minorUnits(currency: string): number {
  return MINOR_UNITS[currency.toUpperCase()] ?? 2;
}

interface Parsed {
  negative: boolean;
  whole: string;
  fraction: string;
}

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?$/;

/** Whether `text` is a plain decimal (`-1234.50`, `12`, `.5`): what the API takes as an amount. */
export function isDecimal(text: string): boolean {
  const m = DECIMAL.exec(text.trim());
  return !!m && (m[2].length > 0 || (m[3] ?? '').length > 0);
}

function parse(amount: string): Parsed {
  const m = DECIMAL.exec(amount.trim());
  if (!m || (m[2].length === 0 && (m[3] ?? '').length === 0)) throw new Error(`not an amount: ${JSON.stringify(amount)}`);
  const whole = m[2].replace(/^0+(?=\d)/, '') || '0';
  const fraction = m[3] ?? '';
  const zero = /^0*$/.test(whole + fraction);
  return { negative: m[1] === '-' && !zero, whole, fraction };
}

function group(whole: string): string {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export interface FormatOptions {
  /** Show `+` before amounts above zero (money in). */
  signed?: boolean;
  /** Leave the currency code off. */
  bare?: boolean;
}

/**
 * An amount as people read it, every digit kept: thousands grouped, padded with zeros to the
 * currency's minor units but never cut (`1234.5` EUR → `1,234.50 EUR`; `0.125` EUR stays
 * `0.125 EUR`), and the ISO code after it.
 */
export function formatAmount(amount: string, currency: string, options: FormatOptions = {}): string {
  let p: Parsed;
  try {
    p = parse(amount);
  } catch {
    return options.bare ? amount : `${amount} ${currency}`;
  }
  const units = minorUnits(currency);
  const fraction = p.fraction.length < units ? p.fraction.padEnd(units, '0') : p.fraction;
  const sign = p.negative ? '-' : options.signed && !isZero(amount) ? '+' : '';
  const number = `${sign}${group(p.whole)}${fraction ? `.${fraction}` : ''}`;
  return options.bare ? number : `${number} ${currency}`;
}

/** An amount as a scaled integer: `-12.5` → { units: -125n, scale: 1 }. */
function scaled(amount: string): { units: bigint; scale: number } {
  const p = parse(amount);
  const units = BigInt(p.whole + p.fraction);
  return { units: p.negative ? -units : units, scale: p.fraction.length };
}

function unscale(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${fraction}` : ''}`;
}

/** `a + b`, exactly (the longer fraction kept). */
export function addAmounts(a: string, b: string): string {
  const x = scaled(a);
  const y = scaled(b);
  const scale = Math.max(x.scale, y.scale);
  return unscale(x.units * 10n ** BigInt(scale - x.scale) + y.units * 10n ** BigInt(scale - y.scale), scale);
}

/** The sum of `amounts`, exactly; `0` for none. */
export function sumAmounts(amounts: string[]): string {
  return amounts.reduce((sum, a) => addAmounts(sum, a), '0');
}

/** `-amount`, as a string. */
export function negate(amount: string): string {
  const { units, scale } = scaled(amount);
  return unscale(-units, scale);
}

/** The amount without its sign. */
export function absAmount(amount: string): string {
  const { units, scale } = scaled(amount);
  return unscale(units < 0n ? -units : units, scale);
}

/** -1, 0 or 1 as `a` is below, equal to or above `b`. */
export function compareAmounts(a: string, b: string): number {
  const d = scaled(addAmounts(a, negate(b))).units;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export function isNegative(amount: string): boolean {
  return compareAmounts(amount, '0') < 0;
}

export function isZero(amount: string): boolean {
  try {
    return scaled(amount).units === 0n;
  } catch {
    return false;
  }
}

/** What a person typed as an amount, as the API takes it: trimmed, spaces and `,` grouping gone, `+` dropped. */
export function cleanAmount(typed: string): string {
  const t = typed.trim().replace(/[\s']/g, '');
  // "1,234.50" → "1234.50"; a lone comma as the decimal point ("12,50") → "12.50".
  const normalised = t.includes('.') ? t.replace(/,/g, '') : /^[+-]?\d+,\d+$/.test(t) ? t.replace(',', '.') : t;
  return normalised.replace(/^\+/, '');
}

// ---- Months and dates -----------------------------------------------------------------------

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export function isMonth(text: string | undefined | null): text is string {
  return !!text && /^\d{4}-(0[1-9]|1[0-2])$/.test(text);
}

export function isDate(text: string | undefined | null): text is string {
  return !!text && /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));
}

/** `YYYY-MM` `n` months on (or back). */
export function addMonth(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number);
  const index = y * 12 + (m - 1) + n;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** `2027-03` → `March 2027`. */
export function monthLabel(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return `${MONTHS[m - 1]} ${y}`;
}

/** `2027-03` (or `2027-03-01`) → `Mar 2027`. */
export function shortMonth(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return `${MONTHS[m - 1].slice(0, 3)} ${y}`;
}

/** The month's first day and the next month's: a range `from..to` (end excluded), as the API takes. */
export function monthRange(month: string): { from: string; to: string } {
  return { from: `${month}-01`, to: `${addMonth(month, 1)}-01` };
}

/** `2027-03-02` → `2 Mar 2027`. */
export function dayLabel(date: string): string {
  const [y, m, d] = date.slice(0, 10).split('-').map(Number);
  return `${d} ${MONTHS[m - 1].slice(0, 3)} ${y}`;
}

// ---- Accounts and categories ----------------------------------------------------------------

export const SUBTYPES: Record<'asset' | 'liability', { value: string; label: string }[]> = {
  asset: [
    { value: 'checking', label: 'Checking' },
    { value: 'savings', label: 'Savings' },
    { value: 'cash', label: 'Cash' },
    { value: 'investment', label: 'Investment' },
    { value: 'other', label: 'Other' },
  ],
  liability: [
    { value: 'credit_card', label: 'Credit card' },
    { value: 'loan', label: 'Loan' },
    { value: 'mortgage', label: 'Mortgage' },
    { value: 'other', label: 'Other' },
  ],
};

export function subtypeLabel(subtype: string | null): string {
  if (!subtype) return '';
  const all = [...SUBTYPES.asset, ...SUBTYPES.liability];
  return all.find((s) => s.value === subtype)?.label ?? subtype;
}

/** Open and closed accounts of a kind, open ones first (the API lists them by name). */
export function accountsOf(accounts: FinanceAccount[], kind: 'asset' | 'liability'): FinanceAccount[] {
  return accounts.filter((a) => a.kind === kind).sort((a, b) => Number(!!a.closed_at) - Number(!!b.closed_at));
}

/** Per currency, what the open and closed asset accounts hold minus what liabilities owe (balances are debit positive, so a plain sum). */
export function netWorth(accounts: FinanceAccount[]): { currency: string; amount: string }[] {
  const by = new Map<string, string[]>();
  for (const a of accounts) {
    if (!a.currency || a.balance === null || (a.kind !== 'asset' && a.kind !== 'liability')) continue;
    by.set(a.currency, [...(by.get(a.currency) ?? []), a.balance]);
  }
  return [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, balances]) => ({ currency, amount: sumAmounts(balances) }));
}

/** A category's name with its parents' (`Food › Groceries`), for pickers. */
export function categoryPath(category: FinanceAccount, all: FinanceAccount[]): string {
  const names = [category.name];
  const byId = new Map(all.map((c) => [c.id, c]));
  let parent = category.parent_id ? byId.get(category.parent_id) : undefined;
  for (let i = 0; parent && i < 20; i++) {
    names.unshift(parent.name);
    parent = parent.parent_id ? byId.get(parent.parent_id) : undefined;
  }
  return names.join(' › ');
}

/** Categories of `kind` (or both) as a picker lists them: by path. */
export function categoryOptions(categories: FinanceAccount[], kind?: 'income' | 'expense'): { id: string; label: string; kind: string }[] {
  return categories
    .filter((c) => (kind ? c.kind === kind : c.kind === 'income' || c.kind === 'expense'))
    .map((c) => ({ id: c.id, label: categoryPath(c, categories), kind: c.kind }))
    .sort((a, b) => (a.kind === b.kind ? a.label.localeCompare(b.label) : a.kind === 'expense' ? -1 : 1));
}

// ---- Transactions ---------------------------------------------------------------------------

const ACCOUNT_KINDS = new Set(['asset', 'liability']);
const CATEGORY_KINDS = new Set(['income', 'expense']);

export interface TransactionView {
  /** The asset and liability splits: where money moved. */
  accounts: Split[];
  /** The income and expense splits. */
  categories: Split[];
  /** The one split the row's amount is (the filtered account's, else the first account's). */
  main: Split | null;
  /** Two accounts and no category. */
  transfer: boolean;
  /** The category split when there is exactly one (what inline categorising moves). */
  category: Split | null;
  /** Whether its categories are all Posey's "uncategorised" ones. */
  uncategorised: boolean;
}

/** A transaction as the list shows it, from `accountId`'s side when given. */
export function viewOf(t: Transaction, categories: FinanceAccount[], accountId?: string): TransactionView {
  const accounts = t.splits.filter((s) => ACCOUNT_KINDS.has(s.account_kind));
  const cats = t.splits.filter((s) => CATEGORY_KINDS.has(s.account_kind));
  const main = (accountId && accounts.find((s) => s.account_id === accountId)) || accounts[0] || null;
  const category = cats.length === 1 ? cats[0] : null;
  const roles = new Map(categories.map((c) => [c.id, c.role]));
  const uncategorised = cats.length > 0 && cats.every((c) => (roles.get(c.account_id) ?? '').startsWith('uncategorised'));
  return { accounts, categories: cats, main, transfer: accounts.length >= 2 && cats.length === 0, category, uncategorised };
}

/** The transaction's words: payee, else description, else where it came from. */
export function transactionTitle(t: Transaction): string {
  return t.payee || t.description || t.source || '(no payee)';
}

export interface TransactionFilters {
  account_id?: string;
  category_id?: string;
  q?: string;
  from?: string;
  to?: string;
  uncategorised?: boolean;
  import_id?: string;
  page: number;
}

export const PAGE_SIZE = 50;

type SearchParams = Record<string, string | string[] | undefined>;

function one(params: SearchParams, key: string): string | undefined {
  const v = params[key];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.trim() ? s.trim() : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The listing's filters from the page's URL; anything malformed is left out. */
export function parseFilters(params: SearchParams): TransactionFilters {
  const id = (k: string) => {
    const v = one(params, k);
    return v && UUID.test(v) ? v : undefined;
  };
  const date = (k: string) => {
    const v = one(params, k);
    return isDate(v) ? v : undefined;
  };
  const page = Number(one(params, 'page') ?? '1');
  return {
    account_id: id('account_id'),
    category_id: id('category_id'),
    q: one(params, 'q')?.slice(0, 200),
    from: date('from'),
    to: date('to'),
    uncategorised: one(params, 'uncategorised') === 'true' || one(params, 'uncategorised') === 'on' ? true : undefined,
    import_id: id('import_id'),
    page: Number.isInteger(page) && page >= 1 && page <= 10_000 ? page : 1,
  };
}

/** The page's own URL for `filters` (page 1 left out). */
export function filtersHref(filters: TransactionFilters): string {
  const q = new URLSearchParams();
  for (const key of ['account_id', 'category_id', 'q', 'from', 'to', 'import_id'] as const) {
    const v = filters[key];
    if (v) q.set(key, v);
  }
  if (filters.uncategorised) q.set('uncategorised', 'true');
  if (filters.page > 1) q.set('page', String(filters.page));
  const s = q.toString();
  return `/finance/transactions${s ? `?${s}` : ''}`;
}

/**
 * Agents' listing query for `filters`: `to` is inclusive on the page (the last day shown) but
 * exclusive in the API, so it moves a day on. One more row than a page is asked for, to know
 * whether there is a next page.
 */
export function listQuery(filters: TransactionFilters): string {
  const q = new URLSearchParams();
  if (filters.account_id) q.set('account_id', filters.account_id);
  if (filters.category_id) q.set('category_id', filters.category_id);
  if (filters.q) q.set('q', filters.q);
  if (filters.from) q.set('from', filters.from);
  if (filters.to) q.set('to', nextDay(filters.to));
  if (filters.uncategorised) q.set('uncategorised', 'true');
  if (filters.import_id) q.set('import_id', filters.import_id);
  q.set('limit', String(PAGE_SIZE + 1));
  q.set('offset', String((filters.page - 1) * PAGE_SIZE));
  return q.toString();
}

export function nextDay(date: string, days = 1): string {
  const ms = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(ms).toISOString().slice(0, 10);
}

/** The month's last day (`2027-02` → `2027-02-28`). */
export function lastDayOf(month: string): string {
  return nextDay(`${addMonth(month, 1)}-01`, -1);
}

// ---- New transactions -----------------------------------------------------------------------

export type EntryKind = 'expense' | 'income' | 'transfer';

export interface EntryForm {
  kind: EntryKind;
  date: string;
  account_id: string;
  /** As typed, without a sign: the kind decides the direction. */
  amount: string;
  category_id: string;
  transfer_account_id: string;
  /** What the other account receives, when its currency differs. */
  transfer_amount: string;
  payee: string;
  description: string;
  tags: string;
}

export type EntryErrors = Partial<Record<'date' | 'account_id' | 'amount' | 'category_id' | 'transfer_account_id' | 'transfer_amount' | 'payee' | 'description' | 'tags' | 'form', string[]>>;

/** The JSON agents' `POST /v1/finance/transactions` takes for the form, or what is wrong with it, per field. */
export function entryBody(form: EntryForm, accounts: FinanceAccount[]): { body: Record<string, unknown> } | { errors: EntryErrors } {
  const errors: EntryErrors = {};
  const add = (field: keyof EntryErrors, message: string) => (errors[field] = [...(errors[field] ?? []), message]);
  const amount = cleanAmount(form.amount);
  if (!form.account_id) add('account_id', form.kind === 'transfer' ? 'Choose the account the money leaves.' : 'Choose an account.');
  if (!amount) add('amount', 'Give the amount.');
  else if (!isDecimal(amount)) add('amount', 'Write the amount as digits, like 12.50.');
  else if (isZero(amount)) add('amount', 'The amount must not be zero.');
  if (form.date && !isDate(form.date)) add('date', 'Give the date as YYYY-MM-DD.');
  const body: Record<string, unknown> = { account_id: form.account_id };
  if (amount && isDecimal(amount) && !isZero(amount)) {
    const size = absAmount(amount);
    body.amount = form.kind === 'income' ? size : negate(size);
  }
  if (form.kind === 'transfer') {
    if (!form.transfer_account_id) add('transfer_account_id', 'Choose the account the money goes to.');
    else if (form.transfer_account_id === form.account_id) add('transfer_account_id', 'Choose another account than the one it leaves.');
    else body.transfer_account_id = form.transfer_account_id;
    const from = accounts.find((a) => a.id === form.account_id);
    const to = accounts.find((a) => a.id === form.transfer_account_id);
    if (from && to && from.currency !== to.currency) {
      const other = cleanAmount(form.transfer_amount);
      if (!other) add('transfer_amount', `Give what ${to.name} receives in ${to.currency}.`);
      else if (!isDecimal(other) || isZero(other)) add('transfer_amount', 'Write the amount as digits, like 12.50.');
      else body.transfer_amount = absAmount(other);
    }
  } else if (form.category_id) {
    body.category_id = form.category_id;
  }
  if (form.date) body.date = form.date;
  if (form.payee.trim()) body.payee = form.payee.trim();
  if (form.description.trim()) body.description = form.description.trim();
  const tags = form.tags
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (tags.length) body.tags = tags;
  return Object.keys(errors).length ? { errors } : { body };
}

/** A 422's `error.fields` as the form's fields (the API's names are the form's; others go to `form`). */
export function apiFieldErrors<K extends string>(fields: Record<string, string[]>, known: readonly K[], message?: string): Partial<Record<K | 'form', string[]>> {
  const out: Partial<Record<K | 'form', string[]>> = {};
  for (const [field, problems] of Object.entries(fields)) {
    const key = (known as readonly string[]).includes(field) ? (field as K) : 'form';
    const text = problems.map((p) => (key === 'form' ? `${field} ${p}` : p));
    out[key] = [...(out[key] ?? []), ...text];
  }
  if (Object.keys(out).length === 0 && message) out.form = [message];
  return out;
}

// ---- Charts ---------------------------------------------------------------------------------

/**
 * Each amount's share of the largest (absolute), 0 to 1, for a bar's length. The one place an
 * amount becomes a Number: a bar a pixel off is fine, the figures beside it are the strings.
 */
export function proportions(amounts: string[]): number[] {
  const values = amounts.map((a) => {
    const n = Math.abs(Number(a));
    return Number.isFinite(n) ? n : 0;
  });
  const max = Math.max(0, ...values);
  return values.map((v) => (max > 0 ? v / max : 0));
}

/** Points of a line through `amounts` in a `width` × `height` box (y down), bottom at the lowest value or zero. */
export function linePoints(amounts: string[], width: number, height: number, pad = 4): { x: number; y: number }[] {
  const values = amounts.map((a) => {
    const n = Number(a);
    return Number.isFinite(n) ? n : 0;
  });
  if (values.length === 0) return [];
  const min = Math.min(0, ...values);
  const max = Math.max(0, ...values);
  const span = max - min || 1;
  const step = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  return values.map((v, i) => ({
    x: Math.round((pad + i * step) * 10) / 10,
    y: Math.round((pad + (1 - (v - min) / span) * (height - 2 * pad)) * 10) / 10,
  }));
}

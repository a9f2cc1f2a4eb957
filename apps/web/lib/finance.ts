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
  /** The recurring transaction that posted it. */
  recurring_id?: string | null;
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
  /** The transaction the recurring poster already posted for this payment: committing links the line to it. */
  matches?: string | null;
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
  /** Lines that are payments the recurring poster already posted (linked, not added). */
  matched_lines?: number | null;
  added: number | null;
  matched?: number | null;
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

// ---- Schedules: recurring transactions and bills ---------------------------------------------

export type CadenceUnit = 'days' | 'weeks' | 'months' | 'years';

/** Every so many days, weeks, months or years from the start date: `{"months": 1}`. */
export type Cadence = Partial<Record<CadenceUnit, number>>;

export const CADENCE_UNITS: { value: CadenceUnit; one: string; many: string }[] = [
  { value: 'days', one: 'day', many: 'days' },
  { value: 'weeks', one: 'week', many: 'weeks' },
  { value: 'months', one: 'month', many: 'months' },
  { value: 'years', one: 'year', many: 'years' },
];

/** The cadence's unit and count (`{"weeks": 2}` → weeks, 2); a month when it says nothing known. */
export function cadenceParts(cadence: Cadence): { unit: CadenceUnit; every: number } {
  for (const u of CADENCE_UNITS) {
    const n = cadence[u.value];
    if (typeof n === 'number') return { unit: u.value, every: n };
  }
  return { unit: 'months', every: 1 };
}

/** `{"months": 1}` → `every month`; `{"weeks": 2}` → `every 2 weeks`. */
export function cadenceLabel(cadence: Cadence): string {
  const { unit, every } = cadenceParts(cadence);
  const u = CADENCE_UNITS.find((c) => c.value === unit)!;
  return every === 1 ? `every ${u.one}` : `every ${every} ${u.many}`;
}

export interface PlannedSplit {
  account_id: string;
  amount: string;
  value: string | null;
  rate_date: string | null;
  memo: string | null;
}

export interface RecurringView {
  id: string;
  name: string;
  cadence: Cadence;
  starts: string;
  ends: string | null;
  /** `null`: no dates left. */
  next_date: string | null;
  /** The next dates, up to five. */
  upcoming: string[];
  paused: boolean;
  posted: number;
  last_posted: string | null;
  last_transaction_id: string | null;
  /** Why it paused itself. */
  last_error: string | null;
  currency: string;
  payee: string | null;
  description: string | null;
  notes: string | null;
  tags: string[];
  account_id: string | null;
  amount: string | null;
  category_id: string | null;
  transfer_account_id: string | null;
  transfer_amount: string | null;
  splits: PlannedSplit[] | null;
  created_at: string;
  updated_at: string;
}

export interface Bill {
  id: string;
  name: string;
  /** Text the paying transaction's payee contains; empty: any payee. */
  payee_contains: string;
  /** Signed as the account sees it: a bill paid is negative. */
  amount: string;
  tolerance: string;
  cadence: Cadence;
  starts: string;
  ends: string | null;
  /** `null`: any of the person's accounts in `currency`. */
  account_id: string | null;
  currency: string;
  created_at: string;
  updated_at: string;
}

type Errors = Record<string, string[]>;

function schedule(unit: CadenceUnit, every: string, starts: string, ends: string, errors: Errors): Cadence {
  const add = (field: string, message: string) => (errors[field] = [...(errors[field] ?? []), message]);
  const n = Number(every.trim());
  if (!/^\d+$/.test(every.trim()) || n < 1 || n > 1000) add('cadence', 'Give how often as a whole number from 1 to 1000.');
  if (!starts) add('starts', 'Give the first date.');
  else if (!isDate(starts)) add('starts', 'Give the date as YYYY-MM-DD.');
  if (ends && !isDate(ends)) add('ends', 'Give the date as YYYY-MM-DD.');
  else if (ends && isDate(starts) && ends < starts) add('ends', 'The last date must not be before the first.');
  return { [unit]: n };
}

/** What a recurring transaction's form holds: what is posted (as a new transaction's), and when. */
export interface RecurringForm extends Omit<EntryForm, 'date'> {
  name: string;
  unit: CadenceUnit;
  every: string;
  starts: string;
  ends: string;
  notes: string;
}

export type RecurringErrors = Partial<Record<'name' | 'cadence' | 'starts' | 'ends' | 'notes' | keyof EntryErrors, string[]>>;

/**
 * The JSON agents' `POST /v1/finance/recurring` takes for the form (`PATCH` with `change`:
 * emptied fields sent as `null` or `[]` so they are cleared; with `keepSplits` the amounts are
 * left out, a split one keeping its splits), or what is wrong, per field.
 */
export function recurringBody(
  form: RecurringForm,
  accounts: FinanceAccount[],
  options: { change?: boolean; keepSplits?: boolean } = {},
): { body: Record<string, unknown> } | { errors: RecurringErrors } {
  const errors: Errors = {};
  if (!form.name.trim()) errors.name = ['Give it a name, like “Rent”.'];
  else if (form.name.trim().length > 200) errors.name = ['At most 200 characters.'];
  const cadence = schedule(form.unit, form.every, form.starts, form.ends, errors);
  let money: Record<string, unknown> = {};
  if (!options.keepSplits) {
    const entry = entryBody({ ...form, date: '' }, accounts);
    if ('errors' in entry) Object.assign(errors, entry.errors);
    else money = entry.body;
  }
  if (Object.keys(errors).length) return { errors };
  const { payee, description, tags, ...amounts } = money;
  const body: Record<string, unknown> = { name: form.name.trim(), cadence, starts: form.starts };
  if (!options.keepSplits) Object.assign(body, amounts);
  const notes = form.notes.trim();
  if (options.change) {
    Object.assign(body, {
      ends: form.ends || null,
      payee: form.payee.trim() || null,
      description: form.description.trim() || null,
      notes: notes || null,
      tags: tagList(form.tags),
    });
  } else {
    if (form.ends) body.ends = form.ends;
    if (payee) body.payee = payee;
    if (description) body.description = description;
    if (notes) body.notes = notes;
    if (tags) body.tags = tags;
  }
  return { body };
}

function tagList(typed: string): string[] {
  return typed
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

/** A saved recurring transaction as its form shows it (the amount without its sign, the kind saying which way). */
export function recurringForm(r: RecurringView): RecurringForm {
  const { unit, every } = cadenceParts(r.cadence);
  const kind: EntryKind = r.transfer_account_id ? 'transfer' : r.amount && !isNegative(r.amount) ? 'income' : 'expense';
  return {
    name: r.name,
    unit,
    every: String(every),
    starts: r.starts,
    ends: r.ends ?? '',
    notes: r.notes ?? '',
    kind,
    account_id: r.account_id ?? '',
    amount: r.amount ? absAmount(r.amount) : '',
    category_id: r.category_id ?? '',
    transfer_account_id: r.transfer_account_id ?? '',
    transfer_amount: r.transfer_amount ? absAmount(r.transfer_amount) : '',
    payee: r.payee ?? '',
    description: r.description ?? '',
    tags: r.tags.join(', '),
  };
}

/** What a bill's form holds: the amount typed without a sign (a bill is money out). */
export interface BillForm {
  name: string;
  payee_contains: string;
  amount: string;
  tolerance: string;
  unit: CadenceUnit;
  every: string;
  starts: string;
  ends: string;
  /** Empty: paid from any account in `currency`. */
  account_id: string;
  currency: string;
}

export const BILL_FIELDS = ['name', 'payee_contains', 'amount', 'tolerance', 'cadence', 'starts', 'ends', 'account_id', 'currency'] as const;
export type BillErrors = Partial<Record<(typeof BILL_FIELDS)[number] | 'form', string[]>>;

/** The JSON agents' `POST /v1/finance/bills` (or, with `change`, `PATCH`) takes for the form, or what is wrong, per field. */
export function billBody(form: BillForm, options: { change?: boolean } = {}): { body: Record<string, unknown> } | { errors: BillErrors } {
  const errors: Errors = {};
  const add = (field: string, message: string) => (errors[field] = [...(errors[field] ?? []), message]);
  if (!form.name.trim()) add('name', 'Give the bill a name, like “Rent”.');
  const amount = cleanAmount(form.amount);
  if (!amount) add('amount', 'Give the amount.');
  else if (!isDecimal(amount)) add('amount', 'Write the amount as digits, like 49.99.');
  else if (isZero(amount)) add('amount', 'The amount must not be zero.');
  const tolerance = cleanAmount(form.tolerance);
  if (tolerance && (!isDecimal(tolerance) || isNegative(tolerance))) add('tolerance', 'Write how far off a payment may be as digits, like 5.00.');
  const currency = form.currency.trim().toUpperCase();
  if (!form.account_id && !/^[A-Z]{3}$/.test(currency)) add('currency', 'Give the three-letter currency code, like EUR.');
  const cadence = schedule(form.unit, form.every, form.starts, form.ends, errors);
  if (Object.keys(errors).length) return { errors };
  const body: Record<string, unknown> = {
    name: form.name.trim(),
    payee_contains: form.payee_contains.trim(),
    amount: negate(absAmount(amount)),
    tolerance: tolerance || '0',
    cadence,
    starts: form.starts,
  };
  if (form.ends || options.change) body.ends = form.ends || null;
  if (form.account_id) body.account_id = form.account_id;
  else {
    if (options.change) body.account_id = null;
    body.currency = currency;
  }
  return { body };
}

export function billForm(b: Bill): BillForm {
  const { unit, every } = cadenceParts(b.cadence);
  return {
    name: b.name,
    payee_contains: b.payee_contains,
    amount: absAmount(b.amount),
    tolerance: isZero(b.tolerance) ? '' : b.tolerance,
    unit,
    every: String(every),
    starts: b.starts,
    ends: b.ends ?? '',
    account_id: b.account_id ?? '',
    currency: b.currency,
  };
}

// ---- Splits ---------------------------------------------------------------------------------

/** One split as typed: signed, debit positive (money into an account or spent in a category is positive). */
export interface SplitLine {
  account_id: string;
  amount: string;
  /** In the transaction's currency, for an account in another. */
  value: string;
  memo: string;
}

/** What the split lines add up to in the transaction's currency (lines not yet amounts left out); zero when they balance. */
export function splitsTotal(lines: SplitLine[], currency: string, accounts: FinanceAccount[]): string {
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const values = lines.map((l) => {
    const own = byId.get(l.account_id)?.currency;
    const v = cleanAmount(own && own !== currency ? l.value : l.amount);
    return isDecimal(v) ? v : '0';
  });
  return sumAmounts(values);
}

export interface SplitsForm {
  currency: string;
  lines: SplitLine[];
  date: string;
  payee: string;
  description: string;
  tags: string;
}

/** Errors of a split form: `splits[i].amount`-style keys are agents' own. */
export type SplitErrors = Record<string, string[]>;

/**
 * The JSON agents' transaction routes take for split lines (`currency` + `splits`, with the
 * date, payee, description and tags; `change`: emptied ones cleared), or what is wrong, keyed as
 * agents names it (`splits[1].amount`).
 */
export function splitsBody(form: SplitsForm, accounts: FinanceAccount[], options: { change?: boolean } = {}): { body: Record<string, unknown> } | { errors: SplitErrors } {
  const errors: Errors = {};
  const add = (field: string, message: string) => (errors[field] = [...(errors[field] ?? []), message]);
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const lines = form.lines.filter((l) => l.account_id || l.amount.trim() || l.memo.trim());
  if (!/^[A-Z]{3}$/.test(form.currency)) add('currency', 'Choose the currency.');
  if (lines.length < 2) add('splits', 'A split transaction has two lines or more.');
  const splits = lines.map((l) => {
    const at = `splits[${form.lines.indexOf(l)}]`;
    const split: Record<string, unknown> = { account_id: l.account_id };
    if (!l.account_id) add(`${at}.account_id`, 'Choose an account or category.');
    const amount = cleanAmount(l.amount);
    if (!amount) add(`${at}.amount`, 'Give the amount.');
    else if (!isDecimal(amount)) add(`${at}.amount`, 'Write the amount as digits, like -12.50.');
    else split.amount = amount;
    const own = byId.get(l.account_id)?.currency;
    if (own && own !== form.currency) {
      const value = cleanAmount(l.value);
      if (!value) add(`${at}.value`, `Give what it is worth in ${form.currency}.`);
      else if (!isDecimal(value)) add(`${at}.value`, 'Write the amount as digits, like -12.50.');
      else split.value = value;
    }
    if (l.memo.trim()) split.memo = l.memo.trim();
    return split;
  });
  if (lines.length >= 2 && !Object.keys(errors).some((k) => k.startsWith('splits['))) {
    const total = splitsTotal(lines, form.currency, accounts);
    if (!isZero(total)) add('splits', `The lines must add up to zero; they are off by ${formatAmount(total, form.currency)}.`);
  }
  if (form.date && !isDate(form.date)) add('date', 'Give the date as YYYY-MM-DD.');
  if (Object.keys(errors).length) return { errors };
  const body: Record<string, unknown> = { currency: form.currency, splits };
  if (form.date) body.date = form.date;
  const tags = tagList(form.tags);
  if (options.change) Object.assign(body, { payee: form.payee.trim() || null, description: form.description.trim() || null, tags });
  else {
    if (form.payee.trim()) body.payee = form.payee.trim();
    if (form.description.trim()) body.description = form.description.trim();
    if (tags.length) body.tags = tags;
  }
  return { body };
}

/** A saved transaction's splits as lines to edit. */
export function splitLines(t: Transaction): SplitLine[] {
  return t.splits.map((s) => ({ account_id: s.account_id, amount: s.amount, value: s.currency !== t.currency ? s.value : '', memo: s.memo ?? '' }));
}

// ---- Export ---------------------------------------------------------------------------------

/** The BFF's address of agents' export of the books (`csv`: every split; `journal`: hledger). */
export function exportHref(format: 'csv' | 'journal'): string {
  return `/api/agents/v1/finance/export.${format}`;
}

// ---- Rules ----------------------------------------------------------------------------------

/** posey-finance's rule condition (`{"type": "payee_contains", "value": "rewe"}`). */
export interface RuleCondition {
  type: string;
  value?: string;
  amount?: string;
  min?: string;
  max?: string;
  id?: string;
}

/** posey-finance's rule action (`{"type": "set_category", "id": ".."}`). */
export interface RuleAction {
  type: string;
  id?: string;
  name?: string;
  tag?: string;
}

export interface RuleSpec {
  conditions: RuleCondition[];
  actions: RuleAction[];
  /** Every condition must match, or any one. */
  match_all: boolean;
}

/** A condition as its row in the form holds it; which fields count depends on `type`. */
export interface ConditionDraft {
  type: string;
  /** Words, or the amount for `amount_equals`. */
  value: string;
  min: string;
  max: string;
  /** The account for `account`. */
  id: string;
}

/** An action as its row holds it: the category's id, the payee's name or the tag. */
export interface ActionDraft {
  type: string;
  value: string;
}

export const RULE_CONDITIONS: { value: string; label: string }[] = [
  { value: 'payee_contains', label: 'Payee contains' },
  { value: 'description_contains', label: 'Description contains' },
  { value: 'payee_is', label: 'Payee is' },
  { value: 'amount_equals', label: 'Amount is' },
  { value: 'amount_between', label: 'Amount is between' },
  { value: 'outflow', label: 'Money out' },
  { value: 'inflow', label: 'Money in' },
  { value: 'account', label: 'Account is' },
];

export const RULE_ACTIONS: { value: string; label: string }[] = [
  { value: 'set_category', label: 'Set the category' },
  { value: 'set_payee', label: 'Set the payee' },
  { value: 'add_tag', label: 'Add the tag' },
];

export const blankCondition = (): ConditionDraft => ({ type: 'payee_contains', value: '', min: '', max: '', id: '' });
export const blankAction = (): ActionDraft => ({ type: 'set_category', value: '' });

/** A saved rule's conditions and actions as the form's rows. */
export function ruleDrafts(rule: RuleSpec): { conditions: ConditionDraft[]; actions: ActionDraft[] } {
  return {
    conditions: rule.conditions.map((c) => ({ ...blankCondition(), type: c.type, value: c.value ?? c.amount ?? '', min: c.min ?? '', max: c.max ?? '', id: c.id ?? '' })),
    actions: rule.actions.map((a) => ({ type: a.type, value: a.id ?? a.name ?? a.tag ?? '' })),
  };
}

/**
 * The rule agents' `/v1/finance/rules` takes for the form's rows, or what is wrong, keyed by row
 * (`conditions[1]`, `actions[0]`; `rule` for the whole).
 */
export function ruleOf(conditions: ConditionDraft[], actions: ActionDraft[], matchAll: boolean): { rule: RuleSpec } | { errors: Record<string, string[]> } {
  const errors: Errors = {};
  const add = (field: string, message: string) => (errors[field] = [...(errors[field] ?? []), message]);
  const amount = (field: string, typed: string): string => {
    const a = cleanAmount(typed);
    if (!a) add(field, 'Give the amount.');
    else if (!isDecimal(a)) add(field, 'Write the amount as digits, like -9.99 (money out is negative).');
    return a;
  };
  if (conditions.length === 0) add('rule', 'A rule needs at least one condition.');
  if (actions.length === 0) add('rule', 'A rule needs at least one action.');
  const when: RuleCondition[] = conditions.map((c, i) => {
    const at = `conditions[${i}]`;
    switch (c.type) {
      case 'payee_contains':
      case 'description_contains':
      case 'payee_is':
        if (!c.value.trim()) add(at, 'Give the words to look for.');
        return { type: c.type, value: c.value.trim() };
      case 'amount_equals':
        return { type: c.type, amount: amount(at, c.value) };
      case 'amount_between': {
        const min = amount(at, c.min);
        const max = amount(at, c.max);
        if (isDecimal(min) && isDecimal(max) && compareAmounts(min, max) > 0) add(at, 'The lowest amount must not be above the highest.');
        return { type: c.type, min, max };
      }
      case 'account':
        if (!c.id) add(at, 'Choose the account.');
        return { type: c.type, id: c.id };
      default:
        return { type: c.type };
    }
  });
  const then: RuleAction[] = actions.map((a, i) => {
    const at = `actions[${i}]`;
    const value = a.value.trim();
    switch (a.type) {
      case 'set_category':
        if (!value) add(at, 'Choose the category it sets.');
        return { type: a.type, id: value };
      case 'set_payee':
        if (!value) add(at, 'Give the payee it sets.');
        return { type: a.type, name: value };
      default:
        if (!value) add(at, 'Give the tag it adds.');
        else if (value.includes(',') || value.length > 50) add(at, 'A tag is 1 to 50 characters, no commas.');
        return { type: a.type, tag: value };
    }
  });
  return Object.keys(errors).length ? { errors } : { rule: { conditions: when, actions: then, match_all: matchAll } };
}

/** A 422 on a rule: agents' `rule.conditions[1].id` goes to its row, `name` to the name, the rest to the rule. */
export function ruleApiErrors(fields: Record<string, string[]>, message: string): Record<string, string[]> {
  const out: Errors = {};
  for (const [field, problems] of Object.entries(fields)) {
    const row = /^rule\.(conditions|actions)\[(\d+)\]/.exec(field);
    const key = row ? `${row[1]}[${row[2]}]` : field === 'name' ? 'name' : 'rule';
    out[key] = [...(out[key] ?? []), ...problems];
  }
  if (Object.keys(out).length === 0) out.rule = [message];
  return out;
}

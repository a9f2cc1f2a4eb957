// The finance charts, drawn with CSS and SVG on the server (no chart library), each with the
// exact figures in a table beside it: a bar's length is the one place an amount is a Number.

import Link from 'next/link';

import { formatAmount, linePoints, proportions, shortMonth } from '@/lib/finance';

import { Money, Scroll } from './money';

export interface BarRow {
  key: string;
  label: string;
  amount: string;
  currency: string;
  href?: string;
}

/** Horizontal bars (spending by category or payee), the figure on each bar's row. */
export function HBars({ rows, title, empty = 'Nothing yet.' }: { rows: BarRow[]; title: string; empty?: string }) {
  if (rows.length === 0) return <p className="text-sm opacity-80">{empty}</p>;
  const shares = proportions(rows.map((r) => r.amount));
  return (
    <table className="w-full text-sm" aria-label={title} data-testid="bars">
      <thead className="sr-only">
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Share</th>
          <th scope="col">Amount</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={r.key} data-testid="bar-row">
            <th scope="row" className="w-1/3 py-1 pr-2 text-left font-normal">
              {r.href ? (
                <Link className="link link-hover" href={r.href}>
                  {r.label}
                </Link>
              ) : (
                r.label
              )}
            </th>
            <td className="w-1/2 py-1 pr-2" aria-hidden="true">
              <div className="h-3 rounded bg-primary" style={{ width: `${Math.max(1, shares[i] * 100).toFixed(1)}%` }} />
            </td>
            <td className="py-1 text-right">
              <Money amount={r.amount} currency={r.currency} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface CashFlowMonth {
  month: string;
  income: string;
  expenses: string;
  /** `income - expenses`, as agents computed it. */
  net: string;
}

/** Income and expense bars per month (SVG), and the table of both with their difference. */
export function CashFlowChart({ months, currency }: { months: CashFlowMonth[]; currency: string }) {
  const shares = proportions(months.flatMap((m) => [m.income, m.expenses]));
  const h = 120;
  const slot = 36;
  const width = Math.max(slot * months.length, 100);
  return (
    <div className="grid gap-4 lg:grid-cols-2" data-testid={`cash-flow-${currency}`}>
      <figure className="overflow-x-auto" tabIndex={0} aria-label={`Chart of income and expenses in ${currency}`}>
        <svg role="img" aria-label={`Income and expenses per month in ${currency}`} viewBox={`0 0 ${width} ${h + 16}`} width={Math.round(width * 1.3)} height={Math.round((h + 16) * 1.3)} className="block">
          {months.map((m, i) => {
            const inc = shares[i * 2] * h;
            const exp = shares[i * 2 + 1] * h;
            const x = i * slot + 4;
            return (
              <g key={m.month}>
                <rect x={x} y={h - inc} width={13} height={inc} className="fill-success">
                  <title>{`${shortMonth(m.month)} income ${formatAmount(m.income, currency)}`}</title>
                </rect>
                <rect x={x + 14} y={h - exp} width={13} height={exp} className="fill-error">
                  <title>{`${shortMonth(m.month)} expenses ${formatAmount(m.expenses, currency)}`}</title>
                </rect>
                <text x={x + 14} y={h + 12} textAnchor="middle" className="fill-current text-[8px]">
                  {shortMonth(m.month).slice(0, 3)}
                </text>
              </g>
            );
          })}
        </svg>
        <figcaption className="text-xs opacity-80">
          <span className="mr-1 inline-block size-2 rounded-sm bg-success" aria-hidden="true" />
          Income <span className="mr-1 ml-3 inline-block size-2 rounded-sm bg-error" aria-hidden="true" />
          Expenses
        </figcaption>
      </figure>
      <Scroll label={`Cash flow in ${currency}, figures`}>
        <table className="table table-sm" aria-label={`Cash flow in ${currency}`}>
          <thead>
            <tr>
              <th scope="col">Month</th>
              <th scope="col" className="text-right">
                Income
              </th>
              <th scope="col" className="text-right">
                Expenses
              </th>
              <th scope="col" className="text-right">
                Net
              </th>
            </tr>
          </thead>
          <tbody>
            {months.map((m) => (
              <tr key={m.month}>
                <th scope="row" className="font-normal">
                  {shortMonth(m.month)}
                </th>
                <td className="text-right">
                  <Money amount={m.income} currency={currency} />
                </td>
                <td className="text-right">
                  <Money amount={m.expenses} currency={currency} />
                </td>
                <td className="text-right">
                  <Money amount={m.net} currency={currency} tone />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    </div>
  );
}

export interface NetWorthPoint {
  month: string;
  assets: string;
  liabilities: string;
  net: string;
}

/** Net worth at each month's end as a line (SVG), and the table of assets, debts and net. */
export function NetWorthChart({ points, currency }: { points: NetWorthPoint[]; currency: string }) {
  const w = 320;
  const h = 120;
  const xy = linePoints(
    points.map((p) => p.net),
    w,
    h,
  );
  const path = xy.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
  return (
    <div className="grid gap-4 lg:grid-cols-2" data-testid={`net-worth-${currency}`}>
      <figure>
        <svg role="img" aria-label={`Net worth at each month's end in ${currency}`} viewBox={`0 0 ${w} ${h}`} className="block h-40 w-full" preserveAspectRatio="none">
          <path d={path} fill="none" className="stroke-primary" strokeWidth={2} vectorEffect="non-scaling-stroke" />
          {xy.map((p, i) => (
            <circle key={points[i].month} cx={p.x} cy={p.y} r={3} className="fill-primary">
              <title>{`${shortMonth(points[i].month)}: ${formatAmount(points[i].net, currency)}`}</title>
            </circle>
          ))}
        </svg>
      </figure>
      <Scroll label={`Net worth in ${currency}, figures`}>
        <table className="table table-sm" aria-label={`Net worth in ${currency}`}>
          <thead>
            <tr>
              <th scope="col">End of</th>
              <th scope="col" className="text-right">
                Assets
              </th>
              <th scope="col" className="text-right">
                Debts
              </th>
              <th scope="col" className="text-right">
                Net worth
              </th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.month}>
                <th scope="row" className="font-normal">
                  {shortMonth(p.month)}
                </th>
                <td className="text-right">
                  <Money amount={p.assets} currency={currency} />
                </td>
                <td className="text-right">
                  <Money amount={p.liabilities} currency={currency} />
                </td>
                <td className="text-right">
                  <Money amount={p.net} currency={currency} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    </div>
  );
}

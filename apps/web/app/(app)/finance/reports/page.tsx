// Reports over a range of months (`?from=YYYY-MM&to=YYYY-MM`, both included; the last six by
// default): cash flow by month, spending by category or payee (`?by=`), net worth at each
// month's end. Each chart has the exact figures beside it; each currency is its own. At the end,
// the whole books to download (agents' exports, through the BFF with their file names).

import Form from 'next/form';

import { CashFlowChart, HBars, NetWorthChart } from '@/components/finance/charts';
import { addMonth, byCurrency, exportHref, isMonth, lastDayOf, monthLabel, type CashFlowReport, type NetWorthReport, type SpendingReport } from '@/lib/finance';
import { maybe, personToday, type Maybe } from '@/lib/finance-server';

export const metadata = { title: 'Reports' };

function Failed({ result }: { result: Maybe<unknown> }) {
  return result.ok ? null : (
    <p role="alert" className="text-sm text-error">
      {result.error}
    </p>
  );
}

export default async function ReportsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const today = await personToday('/finance/reports');
  const current = today.slice(0, 7);
  let to = typeof params.to === 'string' && isMonth(params.to) ? params.to : current;
  let from = typeof params.from === 'string' && isMonth(params.from) ? params.from : addMonth(to, -5);
  if (from > to) [from, to] = [to, from];
  if (from < addMonth(to, -119)) from = addMonth(to, -119);
  const by = params.by === 'payee' ? 'payee' : 'category';
  const here = `/finance/reports?${new URLSearchParams({ from, to, by })}`;
  const range = { from, to: addMonth(to, 1) };
  const [cashFlow, spending, netWorth] = await Promise.all([
    maybe<CashFlowReport>(`/reports/cash-flow?${new URLSearchParams(range)}`, here),
    maybe<SpendingReport>(`/reports/spending?${new URLSearchParams({ ...range, by })}`, here),
    maybe<NetWorthReport>(`/reports/net-worth?${new URLSearchParams(range)}`, here),
  ]);
  const span = from === to ? monthLabel(from) : `${monthLabel(from)} to ${monthLabel(to)}`;

  return (
    <>
      <Form action="/finance/reports" className="flex flex-wrap items-end gap-2" aria-label="Range">
        <label className="flex flex-col gap-1">
          <span className="text-xs">From</span>
          <input className="input input-sm w-40" type="month" name="from" defaultValue={from} />
        </label>
        <label className="flex flex-col gap-1">
          <span className="text-xs">To</span>
          <input className="input input-sm w-40" type="month" name="to" defaultValue={to} />
        </label>
        <label className="flex flex-col gap-1">
          <span className="text-xs">Spending by</span>
          <select className="select select-sm w-32" name="by" defaultValue={by}>
            <option value="category">Category</option>
            <option value="payee">Payee</option>
          </select>
        </label>
        <button type="submit" className="btn btn-sm">
          Show
        </button>
      </Form>

      <section className="card bg-base-100 shadow-sm" aria-labelledby="cash-flow-title" data-testid="report-cash-flow">
        <div className="card-body">
          <h2 id="cash-flow-title" className="card-title text-base">
            Cash flow, {span}
          </h2>
          <Failed result={cashFlow} />
          {cashFlow.ok &&
            (cashFlow.value.months.length === 0 ? (
              <p className="text-sm opacity-80">No income or spending in these months.</p>
            ) : (
              byCurrency(cashFlow.value.months).map(([currency, months]) => (
                <div key={currency}>
                  <h3 className="mb-2 text-sm font-semibold">{currency}</h3>
                  <CashFlowChart months={months} currency={currency} />
                </div>
              ))
            ))}
        </div>
      </section>

      <section className="card bg-base-100 shadow-sm" aria-labelledby="spending-title" data-testid="report-spending">
        <div className="card-body">
          <h2 id="spending-title" className="card-title text-base">
            Spending by {by}, {span}
          </h2>
          <Failed result={spending} />
          {spending.ok &&
            (spending.value.totals.length === 0 ? (
              <p className="text-sm opacity-80">No spending in these months.</p>
            ) : (
              byCurrency(spending.value.totals).map(([currency, totals]) => (
                <div key={currency}>
                  <h3 className="mb-2 text-sm font-semibold">{currency}</h3>
                  <HBars
                    title={`Spending by ${by} in ${currency}`}
                    rows={totals.map((t) => ({
                      key: `${t.id ?? 'none'}-${currency}`,
                      label: t.name ?? (by === 'payee' ? '(no payee)' : '(no name)'),
                      amount: t.amount,
                      currency,
                      href: by === 'category' && t.id ? `/finance/transactions?${new URLSearchParams({ category_id: t.id, from: `${from}-01`, to: lastDayOf(to) })}` : undefined,
                    }))}
                  />
                </div>
              ))
            ))}
        </div>
      </section>

      <section className="card bg-base-100 shadow-sm" aria-labelledby="net-worth-title" data-testid="report-net-worth">
        <div className="card-body">
          <h2 id="net-worth-title" className="card-title text-base">
            Net worth, {span}
          </h2>
          <Failed result={netWorth} />
          {netWorth.ok &&
            (netWorth.value.months.length === 0 ? (
              <p className="text-sm opacity-80">No accounts yet.</p>
            ) : (
              byCurrency(netWorth.value.months).map(([currency, points]) => (
                <div key={currency}>
                  <h3 className="mb-2 text-sm font-semibold">{currency}</h3>
                  <NetWorthChart currency={currency} points={points} />
                </div>
              ))
            ))}
        </div>
      </section>

      <section className="card bg-base-100 shadow-sm" aria-labelledby="export-title">
        <div className="card-body gap-2">
          <h2 id="export-title" className="card-title text-base">
            Download your books
          </h2>
          <p className="text-sm">Everything, from the first transaction to the last, whatever months are shown above.</p>
          <ul className="flex flex-wrap gap-2">
            <li>
              <a className="btn btn-sm" href={exportHref('csv')} download>
                Every split as CSV
              </a>
            </li>
            <li>
              <a className="btn btn-sm" href={exportHref('journal')} download>
                hledger journal
              </a>
            </li>
          </ul>
        </div>
      </section>
    </>
  );
}

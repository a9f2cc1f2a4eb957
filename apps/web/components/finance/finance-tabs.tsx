'use client';
// The finance pages' own navigation: overview, transactions, recurring, bills, accounts, import, rules, budget, reports.

import Link from 'next/link';
import { usePathname } from 'next/navigation';

const TABS = [
  { href: '/finance', label: 'Overview' },
  { href: '/finance/transactions', label: 'Transactions' },
  { href: '/finance/recurring', label: 'Recurring' },
  { href: '/finance/bills', label: 'Bills' },
  { href: '/finance/accounts', label: 'Accounts' },
  { href: '/finance/import', label: 'Import' },
  { href: '/finance/rules', label: 'Rules' },
  { href: '/finance/budget', label: 'Budget' },
  { href: '/finance/reports', label: 'Reports' },
];

export function FinanceTabs() {
  const path = usePathname();
  return (
    <nav aria-label="Money" className="tabs tabs-border overflow-x-auto border-b border-base-300 bg-base-100 px-2">
      {TABS.map((t) => {
        const active = t.href === '/finance' ? path === '/finance' : path === t.href || path.startsWith(`${t.href}/`);
        return (
          <Link key={t.href} href={t.href} className={`tab whitespace-nowrap ${active ? 'tab-active font-semibold' : 'text-base-content/80'}`} aria-current={active ? 'page' : undefined}>
            {t.label}
          </Link>
        );
      })}
    </nav>
  );
}

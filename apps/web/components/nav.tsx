'use client';
// The app's navigation: a side menu on wide screens, a dock at the bottom on phones.

import Link from 'next/link';
import { usePathname } from 'next/navigation';

import { NotificationBadge } from './notification-badge';

const ITEMS = [
  { href: '/chat', label: 'Chat', icon: 'M4 5h16v10H8l-4 4z' },
  { href: '/memory', label: 'Memory', icon: 'M12 3a6 6 0 0 0-6 6c0 2 1 3 2 4v3h8v-3c1-1 2-2 2-4a6 6 0 0 0-6-6zM9 20h6' },
  { href: '/documents', label: 'Documents', icon: 'M6 3h8l4 4v14H6zM14 3v4h4' },
  { href: '/calendar', label: 'Calendar', icon: 'M4 6h16v14H4zM4 10h16M8 3v4M16 3v4' },
  { href: '/finance', label: 'Money', icon: 'M3 7h18v12H3zM3 11h18M7 15h3' },
  { href: '/home', label: 'Home', icon: 'M3 11l9-7 9 7M5 10v10h14V10M10 20v-6h4v6' },
  { href: '/reminders', label: 'Reminders', icon: 'M12 7v5l3 2M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z' },
  { href: '/notifications', label: 'Alerts', icon: 'M6 16V11a6 6 0 1 1 12 0v5l2 2H4zM10 21h4' },
  { href: '/settings', label: 'Settings', icon: 'M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM4 12h2M18 12h2M12 4v2M12 18v2' },
];

function Icon({ d }: { d: string }) {
  return (
    <svg aria-hidden="true" viewBox="0 0 24 24" className="size-5" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round">
      <path d={d} />
    </svg>
  );
}

export function Nav({ unread }: { unread: number }) {
  const path = usePathname();
  const active = (href: string) => path === href || path.startsWith(`${href}/`);
  return (
    <>
      <nav aria-label="Main" className="hidden w-56 shrink-0 border-r border-base-300 bg-base-100 md:block">
        <p className="px-6 py-4 text-xl font-bold">Posey</p>
        <ul className="menu w-full gap-1">
          {ITEMS.map((item) => (
            <li key={item.href}>
              <Link href={item.href} className={active(item.href) ? 'menu-active' : undefined} aria-current={active(item.href) ? 'page' : undefined}>
                <Icon d={item.icon} />
                {item.label}
                {item.href === '/notifications' && <NotificationBadge initial={unread} />}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <nav aria-label="Main" className="dock dock-sm z-20 border-t border-base-300 bg-base-100 md:hidden">
        {ITEMS.map((item) => (
          <Link key={item.href} href={item.href} className={active(item.href) ? 'dock-active' : undefined} aria-current={active(item.href) ? 'page' : undefined}>
            <span className="indicator">
              <Icon d={item.icon} />
              {item.href === '/notifications' && <NotificationBadge initial={unread} compact />}
            </span>
            <span className="dock-label">{item.label}</span>
          </Link>
        ))}
      </nav>
    </>
  );
}

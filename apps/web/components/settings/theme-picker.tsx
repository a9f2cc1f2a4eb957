'use client';
// Light, dark, or the device's choice. Kept in a plain cookie (it holds no secret) so the server
// renders the right theme from the first byte.

import { useEffect, useRef, useState } from 'react';

export function ThemePicker({ initial }: { initial: string }) {
  const [theme, setTheme] = useState(initial);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    window.document.cookie = `posey-theme=${theme}; Path=/; Max-Age=31536000; SameSite=Lax`;
    if (theme === 'system') document.documentElement.removeAttribute('data-theme');
    else document.documentElement.setAttribute('data-theme', theme);
  }, [theme]);
  const choose = setTheme;
  return (
    <div role="radiogroup" aria-label="Theme" className="join">
      {[
        ['system', 'Device'],
        ['light', 'Light'],
        ['dark', 'Dark'],
      ].map(([value, label]) => (
        <input key={value} className="join-item btn btn-sm" type="radio" name="theme" aria-label={label} checked={theme === value} onChange={() => choose(value)} />
      ))}
    </div>
  );
}

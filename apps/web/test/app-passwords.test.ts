// Calendar sync's pure parts: the CalDAV address shown (POSEY_CALDAV_URL, else AGENTS_URL's
// `/dav/`, else unknown), the app password name rule auth applies, the "last used" label, and
// what the settings section shows before anything is made.

import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { AppPasswords } from '@/components/settings/app-passwords';
import { caldavAddress, lastUsedLabel, nameProblem } from '@/lib/app-passwords';

describe('the CalDAV address', () => {
  it('is POSEY_CALDAV_URL when set, as the operator wrote it', () => {
    expect(caldavAddress({ POSEY_CALDAV_URL: ' https://posey.example.org/dav/ ', AGENTS_URL: 'http://127.0.0.1:8000' })).toEqual({
      url: 'https://posey.example.org/dav/',
      source: 'configured',
      local: false,
    });
    // An origin alone is fine too: calendar apps find /dav/ through /.well-known/caldav.
    expect(caldavAddress({ POSEY_CALDAV_URL: 'https://cal.example.org' }).url).toBe('https://cal.example.org/');
  });

  it('is the agents service’s /dav/ otherwise, flagged when it names this machine', () => {
    expect(caldavAddress({ AGENTS_URL: 'http://127.0.0.1:8000' })).toEqual({ url: 'http://127.0.0.1:8000/dav/', source: 'derived', local: true });
    expect(caldavAddress({ AGENTS_URL: 'http://localhost:8000/' }).local).toBe(true);
    expect(caldavAddress({ AGENTS_URL: 'http://[::1]:8000' }).local).toBe(true);
    expect(caldavAddress({ AGENTS_URL: 'https://agents.example.org/posey/?x=1#y' })).toEqual({
      url: 'https://agents.example.org/posey/dav/',
      source: 'derived',
      local: false,
    });
  });

  it('is unknown when neither is set, or neither is an http(s) URL', () => {
    const unknown = { url: null, source: null, local: false };
    expect(caldavAddress({})).toEqual(unknown);
    expect(caldavAddress({ POSEY_CALDAV_URL: '', AGENTS_URL: '  ' })).toEqual(unknown);
    expect(caldavAddress({ POSEY_CALDAV_URL: 'not a url' })).toEqual(unknown);
    expect(caldavAddress({ POSEY_CALDAV_URL: 'javascript:alert(1)', AGENTS_URL: 'ftp://x' })).toEqual(unknown);
    // A bad POSEY_CALDAV_URL falls back to the agents service's address.
    expect(caldavAddress({ POSEY_CALDAV_URL: 'nope', AGENTS_URL: 'http://10.0.0.5:8000' }).url).toBe('http://10.0.0.5:8000/dav/');
  });
});

describe('an app password', () => {
  it('needs a name of 1 to 100 characters, counted after trimming, as auth does', () => {
    expect(nameProblem('Phone')).toBeNull();
    expect(nameProblem('  ')).toMatch(/name/);
    expect(nameProblem('')).toMatch(/name/);
    expect(nameProblem('x'.repeat(100))).toBeNull();
    expect(nameProblem(` ${'x'.repeat(100)} `)).toBeNull();
    expect(nameProblem('x'.repeat(101))).toMatch(/100/);
    // Characters, not UTF-16 units.
    expect(nameProblem('📱'.repeat(100))).toBeNull();
  });

  it('says when it was last used, or that it never was', () => {
    expect(lastUsedLabel(null)).toBe('never used');
    expect(lastUsedLabel('2027-03-01T09:00:00Z', (d) => d.toISOString())).toBe('last used 2027-03-01T09:00:00.000Z');
  });
});

describe('the settings section', () => {
  const render = (props: Parameters<typeof AppPasswords>[0]) => renderToStaticMarkup(createElement(AppPasswords, props));

  it('lists the app passwords with the CalDAV address and user name, no secret', () => {
    const html = render({
      initial: [{ id: 'a1', name: 'Phone <script>', created_at: '2027-03-01T09:00:00Z', last_used_at: null }],
      caldav: caldavAddress({ POSEY_CALDAV_URL: 'https://posey.example.org/dav/' }),
      email: 'ada@example.test',
    });
    expect(html).toContain('https://posey.example.org/dav/');
    expect(html).toContain('ada@example.test');
    expect(html).toContain('Phone &lt;script&gt;');
    expect(html).toContain('never used');
    expect(html).toContain('aria-label="Revoke Phone &lt;script&gt;"');
    expect(html).not.toContain('app-password-made');
    expect(html).not.toContain('a phone may not reach it');
  });

  it('says to ask the operator when the address is unknown, and warns about a local one', () => {
    expect(render({ initial: [], caldav: caldavAddress({}), email: null })).toMatch(/ask whoever runs this Posey/);
    expect(render({ initial: [], caldav: caldavAddress({}), email: null })).toContain('No app passwords yet.');
    expect(render({ initial: [], caldav: caldavAddress({ AGENTS_URL: 'http://127.0.0.1:8000' }), email: null })).toContain('a phone may not reach it');
  });
});

// App passwords for calendar apps (CalDAV): where they sync (the agents service's CalDAV address,
// which the browser cannot know, so the server reads it from its environment), the name check
// auth makes, and how the list says when one was made and last used.

export const NAME_MAX = 100;

export interface CaldavAddress {
  /** The URL to give a calendar app, or null when this server does not know it. */
  url: string | null;
  /** `configured`: POSEY_CALDAV_URL; `derived`: AGENTS_URL + `/dav/`; null: neither is set. */
  source: 'configured' | 'derived' | null;
  /** The address names this machine (127.0.0.1, localhost, ::1): a phone cannot reach it. */
  local: boolean;
}

function httpUrl(raw: string | undefined): URL | null {
  const text = raw?.trim();
  if (!text) return null;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

function isLocal(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\./.test(host);
}

/**
 * The CalDAV address shown to the person: `POSEY_CALDAV_URL` as the operator wrote it (a
 * public URL of the agents service's `/dav/`, or its origin for `/.well-known/caldav`
 * discovery), else the agents service's own address (`AGENTS_URL`) + `/dav/`, else unknown.
 * A value that is not an http(s) URL counts as unset.
 */
export function caldavAddress(env: Record<string, string | undefined>): CaldavAddress {
  const configured = httpUrl(env.POSEY_CALDAV_URL);
  if (configured) return { url: configured.toString(), source: 'configured', local: isLocal(configured) };
  const agents = httpUrl(env.AGENTS_URL);
  if (agents) {
    agents.search = '';
    agents.hash = '';
    agents.pathname = `${agents.pathname.replace(/\/+$/, '')}/dav/`;
    return { url: agents.toString(), source: 'derived', local: isLocal(agents) };
  }
  return { url: null, source: null, local: false };
}

/** What is wrong with an app password's name (auth's rule: 1 to 100 characters, trimmed), or null. */
export function nameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (!trimmed) return 'Give it a name, like “Phone”.';
  if ([...trimmed].length > NAME_MAX) return `Use at most ${NAME_MAX} characters.`;
  return null;
}

/** “never used”, or when it was last used. */
export function lastUsedLabel(lastUsedAt: string | null, format: (d: Date) => string = (d) => d.toLocaleString()): string {
  return lastUsedAt ? `last used ${format(new Date(lastUsedAt))}` : 'never used';
}

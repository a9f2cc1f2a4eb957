// Email the services under test really sent: the test SMTP server (aiosmtpd, started by
// scripts/test; TEST_SMTP_URL) keeps every message in a Maildir (TEST_SMTP_MAILDIR), read here.
// Just enough RFC 5322 and MIME for the services' emails, as posey-testkit's mail.rs does:
// unfolded headers, RFC 2047 encoded words, 7bit/8bit/quoted-printable/base64 bodies, and the
// first text part of a multipart message.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface ReceivedMail {
  /** The Maildir file it came from. */
  path: string;
  /** Header names as sent, values unfolded and decoded. */
  headers: [string, string][];
  from: string;
  to: string;
  subject: string;
  /** The (first text part's) body, transfer encoding undone, line ends as `\n`. */
  body: string;
  /** Every http(s) link in the body, in order. */
  links: string[];
  /** The link to auth's `GET /verify`, when there is one. */
  verifyLink: string | null;
  /** The first six-digit code standing on its own in the text, when there is one. */
  code: string | null;
}

/**
 * A Maildir. Each Mailbox hands out every message once, oldest first, so a test can wait for
 * the second email to an address after taking the first.
 */
export class Mailbox {
  private readonly taken = new Set<string>();

  constructor(readonly dir: string) {}

  /**
   * Waits for the next message to `to` (matched against To and the server's X-RcptTo,
   * case-insensitively) not handed out yet. Fails after `timeoutMs`, listing what did arrive.
   */
  async next(to: string, timeoutMs = 15_000): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const mail = this.all().find((m) => !this.taken.has(m.path) && isAddressedTo(m, to));
      if (mail) {
        this.taken.add(mail.path);
        return mail;
      }
      if (Date.now() >= deadline) {
        const seen = this.all().map((m) => `to ${m.to}: ${m.subject}`);
        throw new Error(
          `no email to ${to} within ${timeoutMs} ms in ${this.dir}; there are ${seen.length}:\n${seen.join('\n')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Every message to `to` received so far, oldest first, whether handed out or not. */
  allFor(to: string): ReceivedMail[] {
    return this.all().filter((m) => isAddressedTo(m, to));
  }

  /** Every message in new/ and cur/, in the order the server stored them. */
  all(): ReceivedMail[] {
    const files: string[] = [];
    for (const sub of ['new', 'cur']) {
      let names: string[];
      try {
        names = readdirSync(join(this.dir, sub));
      } catch {
        continue;
      }
      for (const name of names) {
        const path = join(this.dir, sub, name);
        try {
          if (statSync(path).isFile()) files.push(path);
        } catch {
          // Moved between listing and stat (new/ -> cur/): the other listing has it.
        }
      }
    }
    files.sort(compareDelivery);
    const out: ReceivedMail[] = [];
    for (const path of files) {
      const mail = readMessage(path);
      if (mail) out.push(mail);
    }
    return out;
  }
}

function isAddressedTo(mail: ReceivedMail, to: string): boolean {
  const want = to.trim().toLowerCase();
  return ['To', 'X-RcptTo']
    .map((name) => header(mail.headers, name))
    .filter((v): v is string => v !== undefined)
    .flatMap((v) => v.split(','))
    .some((entry) => addressOf(entry).toLowerCase() === want);
}

/** `Name <a@b>` or `a@b` -> `a@b`. */
function addressOf(entry: string): string {
  const open = entry.lastIndexOf('<');
  const close = entry.lastIndexOf('>');
  return open >= 0 && open < close ? entry.slice(open + 1, close).trim() : entry.trim();
}

/** Python's Maildir names files `<seconds>.M<micros>P<pid>Q<count>.<host>`: numbers first. */
function deliveryKey(path: string): [number, number, number, string] {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const [seconds = '', unique = ''] = name.split('.');
  const after = (tag: string) => {
    const m = new RegExp(`${tag}(\\d+)`).exec(unique);
    return m ? Number(m[1]) : 0;
  };
  const s = /^\d+$/.test(seconds) ? Number(seconds) : Number.MAX_SAFE_INTEGER;
  return [s, after('M'), after('Q'), name];
}

function compareDelivery(a: string, b: string): number {
  const ka = deliveryKey(a);
  const kb = deliveryKey(b);
  for (let i = 0; i < 3; i++) {
    const d = (ka[i] as number) - (kb[i] as number);
    if (d !== 0) return d;
  }
  return ka[3] < kb[3] ? -1 : ka[3] > kb[3] ? 1 : 0;
}

/** Parses one stored message; exported for the harness's own checks. */
export function parseMessage(raw: string, path = ''): ReceivedMail {
  const text = raw.replace(/\r\n/g, '\n');
  const [headers, body] = splitEntity(text);
  const found = (name: string) => header(headers, name) ?? '';
  const decoded = decodeEntity(headers, body);
  const links = linksIn(decoded);
  return {
    path,
    headers,
    from: found('From'),
    to: found('To'),
    subject: found('Subject'),
    body: decoded,
    links,
    verifyLink: links.find((l) => l.includes('/verify?')) ?? null,
    code: codeIn(decoded),
  };
}

function readMessage(path: string): ReceivedMail | null {
  try {
    return parseMessage(readFileSync(path, 'utf8'), path);
  } catch {
    return null;
  }
}

function linksIn(body: string): string[] {
  return body
    .split(/[\s<>"']+/)
    .filter((w) => w.startsWith('http://') || w.startsWith('https://'))
    .map((w) => w.replace(/[.,);]+$/, ''));
}

/** Links are skipped: their tokens may hold digits. */
function codeIn(body: string): string | null {
  for (const word of body.split(/\s+/)) {
    if (word.includes('://')) continue;
    const w = word.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
    if (/^\d{6}$/.test(w)) return w;
  }
  return null;
}

function header(headers: [string, string][], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

function splitEntity(text: string): [[string, string][], string] {
  const at = text.indexOf('\n\n');
  const head = at >= 0 ? text.slice(0, at) : text;
  const body = at >= 0 ? text.slice(at + 2) : '';
  const headers: [string, string][] = [];
  for (const line of head.split('\n')) {
    const last = headers[headers.length - 1];
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      last[1] = `${last[1]} ${line.trim()}`;
    } else {
      const colon = line.indexOf(':');
      if (colon > 0) headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
  }
  for (const h of headers) h[1] = decodeWords(h[1]);
  return [headers, body];
}

function decodeEntity(headers: [string, string][], body: string): string {
  const contentType = header(headers, 'Content-Type') ?? 'text/plain';
  const boundary = /;\s*boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (contentType.toLowerCase().startsWith('multipart/') && boundary) {
    const parts = body
      .split(`--${boundary}`)
      .slice(1)
      .filter((p) => !p.startsWith('--'))
      .map((p) => splitEntity(p.startsWith('\n') ? p.slice(1) : p));
    const text =
      parts.find(([h]) => {
        const t = header(h, 'Content-Type');
        return t === undefined || t.toLowerCase().startsWith('text/plain');
      }) ?? parts[0];
    if (text) return decodeEntity(text[0], text[1]);
  }
  const encoding = (header(headers, 'Content-Transfer-Encoding') ?? '7bit').trim().toLowerCase();
  if (encoding === 'quoted-printable') return quotedPrintable(body).toString('utf8');
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/** RFC 2045 6.7: `=XX` is a byte, `=` at a line end joins the lines. */
function quotedPrintable(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number;
    if (b === 0x3d && bytes[i + 1] === 0x0a) {
      i += 2;
    } else if (b === 0x3d && /^[0-9A-Fa-f]{2}$/.test(bytes.subarray(i + 1, i + 3).toString('latin1'))) {
      out.push(parseInt(bytes.subarray(i + 1, i + 3).toString('latin1'), 16));
      i += 3;
    } else {
      out.push(b);
      i += 1;
    }
  }
  return Buffer.from(out);
}

/** RFC 2047 encoded words; whitespace between two of them is dropped, as the RFC says. */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_all, _charset: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : quotedPrintable(text.replace(/_/g, ' ')).toString('utf8'),
    );
}

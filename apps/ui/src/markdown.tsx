// A small Markdown renderer for chat replies: paragraphs, headings, lists, quotes, fenced code,
// tables, inline code, emphasis and links. It builds React elements (never HTML strings), so
// nothing a model writes can run; links go only to http(s), mailto and this site's own paths.

import { Fragment, type ReactNode } from 'react';

export interface Citation {
  cite: string;
  href: string;
}

function safeHref(raw: string): string | null {
  const url = raw.trim();
  if (url.startsWith('/') && !url.startsWith('//')) return url;
  return /^(https?:|mailto:)/i.test(url) ? url : null;
}

/** Inline: `code`, **bold**, *em* / _em_, [text](url), and citations such as `[file p. 3]`. */
function inline(text: string, citations: Citation[], key: string): ReactNode[] {
  const out: ReactNode[] = [];
  const pattern = /(`+)([^`]+?)\1|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|\b_([^_\s][^_]*)_\b|\[([^\]]+)\]\(([^)\s]+)\)|\[([^\]]+)\]/g;
  let last = 0;
  let i = 0;
  for (const m of text.matchAll(pattern)) {
    const at = m.index ?? 0;
    if (at > last) out.push(text.slice(last, at));
    const k = `${key}-${i++}`;
    if (m[2] !== undefined) out.push(<code key={k}>{m[2]}</code>);
    else if (m[3] !== undefined || m[4] !== undefined) out.push(<strong key={k}>{inline(m[3] ?? m[4] ?? '', citations, k)}</strong>);
    else if (m[5] !== undefined || m[6] !== undefined) out.push(<em key={k}>{inline(m[5] ?? m[6] ?? '', citations, k)}</em>);
    else if (m[7] !== undefined) {
      const href = safeHref(m[8] ?? '');
      out.push(
        href ? (
          <a key={k} href={href} rel="noopener noreferrer nofollow" target={href.startsWith('/') ? undefined : '_blank'}>
            {inline(m[7] ?? '', citations, k)}
          </a>
        ) : (
          m[0]
        ),
      );
    } else {
      const cited = citations.find((c) => c.cite === m[0]);
      out.push(
        cited ? (
          <a key={k} href={cited.href} className="badge badge-soft badge-info badge-sm no-underline">
            {m[9]}
          </a>
        ) : (
          m[0]
        ),
      );
    }
    last = at + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function splitRow(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
}

const TABLE_RULE = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

export function Markdown({ text, citations = [] }: { text: string; citations?: Citation[] }) {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  // Past the end: an empty line (the loops below stop at `lines.length` first).
  const at = (j: number): string => lines[j] ?? '';
  const blocks: ReactNode[] = [];
  let i = 0;
  let n = 0;
  const key = () => `b${n++}`;
  while (i < lines.length) {
    const line = at(i);
    const fence = /^\s*(```|~~~)\s*([\w+-]*)/.exec(line);
    if (fence) {
      const body: string[] = [];
      i += 1;
      while (i < lines.length && !at(i).trim().startsWith(fence[1] ?? '```')) body.push(at(i++));
      i += 1;
      const k = key();
      blocks.push(
        <pre key={k} data-language={fence[2] || undefined}>
          <code>{body.join('\n')}</code>
        </pre>,
      );
      continue;
    }
    if (!line.trim()) {
      i += 1;
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const k = key();
      const level = Math.min((heading[1] ?? '').length + 2, 6);
      const Tag = `h${level}` as 'h3';
      blocks.push(<Tag key={k}>{inline(heading[2] ?? '', citations, k)}</Tag>);
      i += 1;
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_RULE.test(at(i + 1))) {
      const head = splitRow(line);
      const rows: string[][] = [];
      i += 2;
      while (i < lines.length && at(i).includes('|') && at(i).trim()) rows.push(splitRow(at(i++)));
      const k = key();
      blocks.push(
        <table key={k}>
          <thead>
            <tr>{head.map((c, j) => <th key={j}>{inline(c, citations, `${k}h${j}`)}</th>)}</tr>
          </thead>
          <tbody>
            {rows.map((row, r) => (
              <tr key={r}>{head.map((_, j) => <td key={j}>{inline(row[j] ?? '', citations, `${k}r${r}c${j}`)}</td>)}</tr>
            ))}
          </tbody>
        </table>,
      );
      continue;
    }
    if (/^\s*>/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^\s*>/.test(at(i))) body.push(at(i++).replace(/^\s*>\s?/, ''));
      blocks.push(
        <blockquote key={key()}>
          <Markdown text={body.join('\n')} citations={citations} />
        </blockquote>,
      );
      continue;
    }
    const bullet = /^\s*([-*+]|\d+[.)])\s+/;
    if (bullet.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const items: string[] = [];
      while (i < lines.length && (bullet.test(at(i)) || (/^\s{2,}\S/.test(at(i)) && items.length))) {
        if (bullet.test(at(i))) items.push(at(i).replace(bullet, ''));
        else items[items.length - 1] += ` ${at(i).trim()}`;
        i += 1;
      }
      const k = key();
      const List = ordered ? 'ol' : 'ul';
      blocks.push(
        <List key={k}>
          {items.map((item, j) => (
            <li key={j}>{inline(item, citations, `${k}-${j}`)}</li>
          ))}
        </List>,
      );
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && at(i).trim() && !/^(\s*(```|~~~|>|[-*+]\s|\d+[.)]\s)|#{1,6}\s)/.test(at(i))) {
      para.push(at(i++));
    }
    if (para.length === 0) para.push(at(i++));
    const k = key();
    blocks.push(
      <p key={k}>
        {para.map((l, j) => (
          <Fragment key={j}>
            {j > 0 && <br />}
            {inline(l, citations, `${k}-${j}`)}
          </Fragment>
        ))}
      </p>,
    );
  }
  return <div className="md break-words">{blocks}</div>;
}

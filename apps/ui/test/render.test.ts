// The chat's Markdown renderer and the conversation model: what a model writes is shown, never run.

import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { applyEvent, citationsOf, itemsFromHistory, type Item, type StoredMessage } from '../src/chat-items';
import { Markdown } from '../src/markdown';

const md = (text: string, citations: { cite: string; href: string }[] = []) =>
  renderToStaticMarkup(createElement(Markdown, { text, citations }));

describe('markdown', () => {
  it('renders code, tables, lists, headings and emphasis', () => {
    const html = md('# Title\n\nSome **bold** and *em* and `x<y`.\n\n```ts\nconst a = 1 < 2;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n\n1. first');
    expect(html).toContain('<h3>Title</h3>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<em>em</em>');
    expect(html).toContain('<code>x&lt;y</code>');
    expect(html).toContain('<pre data-language="ts"><code>const a = 1 &lt; 2;</code></pre>');
    expect(html).toContain('<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>');
    expect(html).toContain('<ul><li>one</li><li>two</li></ul>');
    expect(html).toContain('<ol><li>first</li></ol>');
  });

  it('never emits markup or script from the text', () => {
    const html = md('<img src=x onerror=alert(1)> [click](javascript:alert(1)) [ok](https://example.org)');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img');
    expect(html).not.toMatch(/href="javascript:/i);
    expect(html).toContain('href="https://example.org"');
  });

  it('turns a citation the documents tool gave into a link to its passage', () => {
    const html = md('Oil every 50 hours [boat.md § Engine].', [{ cite: '[boat.md § Engine]', href: '/documents/d1#chunk-2' }]);
    expect(html).toContain('href="/documents/d1#chunk-2"');
    expect(html).toContain('boat.md § Engine</a>');
  });
});

describe('conversation items', () => {
  const base = { is_error: false, created_at: '', tool_calls: [] as StoredMessage['tool_calls'] };
  const history: StoredMessage[] = [
    { ...base, id: 1, role: 'user', agent: 'posey', depth: 0, content: 'hi' },
    { ...base, id: 2, role: 'assistant', agent: 'posey', depth: 0, content: '', tool_calls: [{ id: 'c1', name: 'delegate', arguments: { agent: 'timekeeper' } }] },
    { ...base, id: 3, role: 'user', agent: 'timekeeper', depth: 1, content: 'Tell the time' },
    { ...base, id: 6, role: 'assistant', agent: 'timekeeper', depth: 1, content: 'It is noon.' },
    { ...base, id: 4, role: 'tool', agent: 'posey', depth: 0, content: 'It is noon.', tool_call_id: 'c1' },
    { ...base, id: 5, role: 'assistant', agent: 'posey', depth: 0, content: 'Noon.' },
  ];

  it('builds the history: tool calls with their results, hand-offs between agents', () => {
    const items = itemsFromHistory(history);
    expect(items.map((i) => i.kind)).toEqual(['user', 'tool', 'handoff', 'text', 'handoff', 'text']);
    expect(items[1]).toMatchObject({ kind: 'tool', name: 'delegate', result: 'It is noon.' });
    expect(items[2]).toMatchObject({ from: 'posey', to: 'timekeeper' });
  });

  it('applies a live turn event by event, joining text deltas', () => {
    let items: Item[] = [];
    const events = [
      { type: 'agent', agent: 'posey', depth: 0, from: null },
      { type: 'text', agent: 'posey', depth: 0, delta: 'Hel' },
      { type: 'text', agent: 'posey', depth: 0, delta: 'lo' },
      { type: 'tool_call', agent: 'posey', depth: 0, id: 'x', name: 'search_documents', arguments: { query: 'oil' } },
      {
        type: 'tool_result', agent: 'posey', depth: 0, id: 'x', name: 'search_documents', is_error: false,
        content: JSON.stringify({ passages: [{ document_id: 'd1', filename: 'boat.md', chunk: 2, cite: '[boat.md § Engine]', text: '…', score: 1 }] }),
      },
      { type: 'done', turn_id: 't' },
    ] as const;
    events.forEach((e, i) => (items = applyEvent(items, e, i)));
    expect(items).toMatchObject([{ kind: 'text', text: 'Hello' }, { kind: 'tool', result: expect.stringContaining('passages') as string }]);
    const href = (id: string, chunk: number) => `/documents/${id}#chunk-${chunk}`;
    expect(citationsOf(items, href)).toEqual([{ cite: '[boat.md § Engine]', label: 'boat.md § Engine', href: '/documents/d1#chunk-2' }]);
    expect(citationsOf(items, (id, chunk) => `#/documents/${id}/${chunk}`)[0]?.href).toBe('#/documents/d1/2');
  });
});

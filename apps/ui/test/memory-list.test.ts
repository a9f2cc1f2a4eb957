// The memory list as both apps first render it: each memory with its kind, where it came from
// (the app's link to the conversation it was learnt in), and its Edit and Delete buttons.

import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { type Memory, MemoryList } from '../src/memory-list';

const memory = (over: Partial<Memory>): Memory => ({
  id: 'm1',
  text: 'My sister is called Grace',
  kind: 'relationship',
  origin: 'conversation',
  conversation_id: 'c1',
  updated_at: '2026-12-05T12:00:00Z',
  ...over,
});

const call = () => Promise.reject(new Error('not called while rendering'));
const render = (initial: Memory[]) =>
  renderToStaticMarkup(
    createElement(MemoryList, { initial, call, conversationLink: (id: string, label: string) => createElement('a', { href: `#/chat/${id}` }, label) }),
  );

describe('the memory list', () => {
  it('says where each memory came from, linking to its conversation the app’s way', () => {
    const html = render([memory({}), memory({ id: 'm2', text: 'I prefer tea', kind: 'preference', origin: 'person', conversation_id: null })]);
    expect(html).toContain('<a href="#/chat/c1">learnt in conversation</a>');
    expect(html).toContain('added by you');
    expect(html).toContain('>relationship</span>');
    expect(html).toContain('aria-label="Edit “My sister is called Grace”"');
    expect(html).toContain('aria-label="Delete “I prefer tea”"');
    expect(html.match(/data-testid="memory"/g)).toHaveLength(2);
  });

  it('says when there is nothing yet, and shows a memory’s text as text', () => {
    expect(render([])).toContain('Nothing remembered yet.');
    const html = render([memory({ text: '<script>alert(1)</script>', origin: 'agent', conversation_id: null })]);
    expect(html).not.toContain('<script>');
    expect(html).toContain('noted by Posey');
  });
});

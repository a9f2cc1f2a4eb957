// The memory export's Markdown: every memory, current and history, says where it came from.

import { describe, expect, it } from 'vitest';

import { memoriesMarkdown, type MemoryExport } from '@/lib/memory-export';
import type { Memory } from '@/lib/types';

const memory = (over: Partial<Memory>): Memory => ({
  id: '0190a000-0000-7000-8000-000000000001',
  text: 'Likes sailing',
  kind: 'preference',
  origin: 'person',
  source_message: null,
  conversation_id: null,
  supersedes: null,
  created_at: '2025-01-02T10:00:00Z',
  updated_at: '2025-01-02T10:00:00Z',
  superseded_at: null,
  retracted_at: null,
  ...over,
});

describe('memory export as Markdown', () => {
  it('lists current memories and history, each with its origin and conversation link', () => {
    const exported: MemoryExport = {
      exported_at: '2025-02-01T08:00:00Z',
      user_id: 'u',
      memories: [
        memory({}),
        memory({ id: 'm2', text: 'Sister is Grace', kind: 'relationship', origin: 'conversation', conversation_id: 'c-1', source_message: 42 }),
        memory({ id: 'm3', text: 'Lives in Lyon', kind: 'fact', origin: 'agent', conversation_id: 'c-2', superseded_at: '2025-01-20T00:00:00Z' }),
      ],
    };
    const md = memoriesMarkdown(exported, 'http://localhost:3000');
    expect(md).toContain('Exported 2025-02-01T08:00:00Z: 2 current, 1 in history.');
    const [current, history] = md.split('## History (replaced or retracted)');
    expect(current).toContain('- Likes sailing  \n  *preference, added by you; since 2025-01-02T10:00:00Z; id 0190a000-0000-7000-8000-000000000001*');
    expect(current).toContain('*relationship, learnt in [a conversation](http://localhost:3000/chat/c-1) (message 42);');
    expect(history).toContain('- Lives in Lyon  \n  *fact, noted by Posey in [a conversation](http://localhost:3000/chat/c-2); since 2025-01-02T10:00:00Z, replaced 2025-01-20T00:00:00Z;');
  });

  it('keeps a memory on its own line and its text from becoming markup', () => {
    const md = memoriesMarkdown({ exported_at: 'now', user_id: 'u', memories: [memory({ text: 'a\n# b [x](javascript:y) *z*' })] }, 'http://x');
    expect(md).toContain('- a \\# b \\[x\\](javascript:y) \\*z\\*  \n');
    expect(md).not.toContain('## History');
  });
});

// The memory export as Markdown: agents' JSON export (every memory, history included) written
// for a person to read, each memory with where it came from.

import type { Memory } from './types';

/** What agents' `GET /v1/memories/export` answers. */
export interface MemoryExport {
  exported_at: string;
  user_id: string;
  memories: Memory[];
}

/** Where a memory came from, in words, with a link to its conversation when it has one. */
export function originOf(memory: Memory, appOrigin: string): string {
  if (memory.origin === 'person') return 'added by you';
  const from = memory.origin === 'agent' ? 'noted by Posey' : 'learnt';
  if (!memory.conversation_id) return `${from} in conversation`;
  const link = `${appOrigin}/chat/${encodeURIComponent(memory.conversation_id)}`;
  const message = memory.source_message === null ? '' : ` (message ${memory.source_message})`;
  return `${from} in [a conversation](${link})${message}`;
}

/** Text safe on one Markdown list line: no line breaks, no markup the reader did not write. */
function inline(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/([\\`*_[\]<>#|~])/g, '\\$1');
}

function line(memory: Memory, appOrigin: string): string {
  const dates = [`since ${memory.created_at}`];
  if (memory.updated_at !== memory.created_at) dates.push(`edited ${memory.updated_at}`);
  if (memory.superseded_at) dates.push(`replaced ${memory.superseded_at}`);
  if (memory.retracted_at) dates.push(`retracted ${memory.retracted_at}`);
  return `- ${inline(memory.text)}  \n  *${memory.kind}, ${originOf(memory, appOrigin)}; ${dates.join(', ')}; id ${memory.id}*`;
}

export function memoriesMarkdown(exported: MemoryExport, appOrigin: string): string {
  const current = exported.memories.filter((m) => !m.superseded_at && !m.retracted_at);
  const history = exported.memories.filter((m) => m.superseded_at || m.retracted_at);
  const out = [`# What Posey remembers`, '', `Exported ${exported.exported_at}: ${current.length} current, ${history.length} in history.`, ''];
  out.push('## Current', '');
  out.push(...(current.length ? current.map((m) => line(m, appOrigin)) : ['Nothing remembered.']), '');
  if (history.length) {
    out.push('## History (replaced or retracted)', '', ...history.map((m) => line(m, appOrigin)), '');
  }
  return out.join('\n');
}

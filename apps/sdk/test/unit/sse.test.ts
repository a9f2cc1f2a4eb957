// The SSE parser on byte streams cut at awkward places (the network cuts wherever it likes).

import { describe, expect, it } from 'vitest';

import { type SseEvent, parseSse } from '../../src/index.js';

/** A stream that delivers `text` as UTF-8 in the given pieces (by byte offsets). */
function streamOf(text: string, cuts: number[] = []): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const bounds = [0, ...cuts, bytes.length];
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i + 1 < bounds.length; i++) controller.enqueue(bytes.slice(bounds[i], bounds[i + 1]));
      controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const event of parseSse(stream)) out.push(event);
  return out;
}

describe('parseSse', () => {
  it('reads named events with JSON data, skipping keep-alive comments', async () => {
    const text = ':\n\nevent: text\ndata: {"delta":"hé"}\n\n: keep-alive\n\nevent: done\ndata: {}\n\n';
    const expected = [
      { event: 'text', data: '{"delta":"hé"}' },
      { event: 'done', data: '{}' },
    ];
    expect(await collect(streamOf(text))).toEqual(expected);
    // Cut at every byte, including inside the two-byte é.
    const every = Array.from({ length: new TextEncoder().encode(text).length - 1 }, (_, i) => i + 1);
    expect(await collect(streamOf(text, every))).toEqual(expected);
  });

  it('accepts CRLF and CR line ends, also split across chunks', async () => {
    const text = 'event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\r';
    const expected = [
      { event: 'a', data: '1' },
      { event: 'b', data: '2' },
    ];
    for (let cut = 1; cut < text.length; cut++) {
      expect(await collect(streamOf(text, [cut])), `cut at ${cut}`).toEqual(expected);
    }
  });

  it('joins data lines, keeps ids and retry, defaults the name to message', async () => {
    const text = '\uFEFFid: 7\nretry: 1500\ndata: line one\ndata:line two\n\ndata\n\n';
    expect(await collect(streamOf(text))).toEqual([
      { event: 'message', data: 'line one\nline two', id: '7', retry: 1500 },
      { event: 'message', data: '', id: '7' },
    ]);
  });

  it('drops an event the stream cut off before its blank line', async () => {
    expect(await collect(streamOf('event: a\ndata: 1\n\nevent: b\ndata: 2'))).toEqual([{ event: 'a', data: '1' }]);
  });

  it('cancels the stream when the reader stops early', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: x\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const event of parseSse(stream)) {
      expect(event.data).toBe('x');
      break;
    }
    expect(cancelled).toBe(true);
  });
});

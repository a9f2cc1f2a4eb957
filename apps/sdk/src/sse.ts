// Server-sent events (the WHATWG EventSource format) from a byte stream: the agents' chat turns
// and cron's notification stream. Also for the web app's BFF, which relays them.

export interface SseEvent {
  /** The `event:` name; `message` when the server named none. */
  event: string;
  /** The `data:` lines, joined with newlines. */
  data: string;
  /** The last `id:` seen, when any. */
  id?: string;
  /** A `retry:` the server asked for, in ms. */
  retry?: number;
}

/**
 * The events in `stream`, as they complete. Comments (keep-alives) are skipped; an event cut off
 * by the end of the stream is dropped, as EventSource does. Breaking out of the loop cancels the
 * stream.
 */
export async function* parseSse(stream: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent, void, undefined> {
  const reader = stream.getReader();
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let name = '';
  let data: string[] = [];
  let lastId: string | undefined;
  let retry: number | undefined;
  // A chunk that ended in CR: a LF starting the next chunk belongs to the same line end.
  let skipLeadingLf = false;
  let first = true;

  function* lines(done: boolean): Generator<string> {
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer.charCodeAt(i);
      if (c === 10 || c === 13) {
        yield buffer.slice(start, i);
        if (c === 13) {
          if (i + 1 < buffer.length) {
            if (buffer.charCodeAt(i + 1) === 10) i++;
          } else {
            skipLeadingLf = true;
          }
        }
        start = i + 1;
      }
    }
    buffer = buffer.slice(start);
    if (done && buffer) {
      yield buffer;
      buffer = '';
    }
  }

  function field(line: string): SseEvent | null {
    if (line === '') {
      if (data.length === 0) {
        name = '';
        return null;
      }
      const event: SseEvent = { event: name || 'message', data: data.join('\n') };
      if (lastId !== undefined) event.id = lastId;
      if (retry !== undefined) event.retry = retry;
      name = '';
      data = [];
      retry = undefined;
      return event;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const key = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (key) {
      case 'event':
        name = value;
        break;
      case 'data':
        data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) retry = Number(value);
        break;
      default:
        // Unknown fields are ignored.
        break;
    }
    return null;
  }

  let finished = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      let text = done ? decoder.decode() : decoder.decode(value, { stream: true });
      if (first && text) {
        // A byte order mark may open the stream.
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      if (skipLeadingLf && text) {
        if (text.charCodeAt(0) === 10) text = text.slice(1);
        skipLeadingLf = false;
      }
      buffer += text;
      for (const line of lines(done)) {
        const event = field(line);
        if (event) yield event;
      }
      if (done) break;
    }
    finished = true;
  } finally {
    if (finished) reader.releaseLock();
    else await reader.cancel().catch(() => {});
  }
}

// Answering an action through the BFF: the path and method the web app posts, and the BFF's
// refusals as the card takes them (the card itself is tested in @posey/ui; the browser test
// answers through the real BFF).

import type { Action } from '@posey/sdk';
import { describe, expect, it } from 'vitest';

import { answerAction } from '@/lib/actions';
import { ApiError, type api } from '@/lib/client/api';

const action = (over: Partial<Action> = {}): Action => ({
  id: '0193a5f0-0000-7000-8000-000000000001',
  conversation_id: '0193a5f0-0000-7000-8000-0000000000c1',
  plugin: 'notes',
  summary: 'delete all your notes',
  reason: 'it cannot be undone',
  status: 'pending',
  result: null,
  created_at: '2026-12-05T11:59:00Z',
  expires_at: '2026-12-05T13:00:00Z',
  decided_at: null,
  ...over,
});

describe('answering an action', () => {
  /** A stand-in for the BFF call that records what was asked and answers as told. */
  function calling(answer: () => unknown) {
    const asked: { path: string; method?: string }[] = [];
    const call = (async (path: string, init: { method?: string } = {}) => {
      asked.push({ path, method: init.method });
      return answer();
    }) as typeof api;
    return { call, asked };
  }

  it('posts the answer to the action through the BFF and gives the action back', async () => {
    const { call, asked } = calling(() => action({ status: 'denied' }));
    expect(await answerAction('a b', 'deny', call)).toEqual({ action: action({ status: 'denied' }) });
    expect(asked).toEqual([{ path: '/agents/v1/actions/a%20b/deny', method: 'POST' }]);
    const confirmed = calling(() => action({ status: 'done' }));
    await answerAction('x', 'confirm', confirmed.call);
    expect(confirmed.asked).toEqual([{ path: '/agents/v1/actions/x/confirm', method: 'POST' }]);
  });

  it('takes a 409 or 404 as final and anything else as worth another try', async () => {
    const refused = (status: number, message: string) =>
      calling(() => {
        throw new ApiError(status, message);
      }).call;
    expect(await answerAction('x', 'confirm', refused(409, 'the action expired; ask again'))).toEqual({ error: 'the action expired; ask again', final: true });
    expect(await answerAction('x', 'deny', refused(404, 'no such action'))).toEqual({ error: 'no such action', final: true });
    expect(await answerAction('x', 'confirm', refused(502, 'The agents service cannot be reached.'))).toEqual({
      error: 'The agents service cannot be reached.',
      final: false,
    });
  });
});

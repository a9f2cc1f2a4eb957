// The actions helpers against the agents service of a running posey up. No built-in plugin asks
// for a confirmation, so the pending actions are stored directly, as a turn whose tool asked would
// store them; the answers are the service's own: the built-in time plugin runs no confirmed
// actions, so a confirmed one of its comes back `failed`.

import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { queryDatabase } from '../../testing/posey.js';
import { PoseyError, confirmAction, createAgentsClient, denyAction, listActions, unwrap } from '../src/index.js';
import { newPerson, posey } from './support.js';

/** Stores a pending action of the time plugin for `person`, as a turn that asked would. */
async function asked(
  person: string,
  summary: string,
  options: { conversation?: string; expiresIn?: string; age?: string } = {},
): Promise<string> {
  const id = randomUUID();
  await queryDatabase(
    posey().databaseUrl,
    `INSERT INTO agents.pending_actions (id, user_id, conversation_id, plugin, summary, reason, payload, created_at, expires_at)
     VALUES ($1, $2, $3, 'time', $4, 'it changes the clock', '{}', now() - $5::interval, now() + $6::interval)`,
    [id, person, options.conversation ?? null, summary, options.age ?? '0 seconds', options.expiresIn ?? '1 hour'],
  );
  return id;
}

/** What a call rejected with (it must reject). */
async function failure(call: Promise<unknown>): Promise<PoseyError> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PoseyError);
  return error as PoseyError;
}

describe('actions', () => {
  it('lists what waits, denies one, refuses a second answer, and confirms another', async () => {
    const { auth, session } = await newPerson();
    const person = session.user.id;
    const agents = createAgentsClient({ url: posey().agentsUrl, token: () => auth.accessToken() });
    const conversation = await unwrap(agents.POST('/v1/conversations', { body: { title: 'Actions' } }));

    const older = await asked(person, 'set the clock forward', { age: '1 minute' });
    const newer = await asked(person, 'set the clock back', { conversation: conversation.id });
    await asked(person, 'set the clock twice', { expiresIn: '-1 second' });

    // Pending and unexpired, newest first.
    const pending = await listActions(agents);
    expect(pending.map((a) => a.id)).toEqual([newer, older]);
    expect(pending[0]).toMatchObject({
      conversation_id: conversation.id,
      plugin: 'time',
      summary: 'set the clock back',
      reason: 'it changes the clock',
      status: 'pending',
      result: null,
      decided_at: null,
    });
    expect(Date.parse(pending[0]!.expires_at)).toBeGreaterThan(Date.now());

    // Denied: it never runs, and the conversation that asked is told.
    const denied = await denyAction(agents, newer);
    expect(denied).toMatchObject({ id: newer, status: 'denied', result: null });
    expect(denied.decided_at).not.toBeNull();
    const { messages } = await unwrap(
      agents.GET('/v1/conversations/{id}/messages', { params: { path: { id: conversation.id } } }),
    );
    expect(messages.at(-1)).toMatchObject({ role: 'assistant', content: 'Denied: set the clock back. Nothing was done.' });

    // A second answer, either way, is a 409 that says what it is now.
    const again = await failure(confirmAction(agents, newer));
    expect(again).toMatchObject({ status: 409, code: 'conflict', message: 'the action was answered already: it is denied' });
    expect((await failure(denyAction(agents, newer))).status).toBe(409);

    // Someone else can neither see nor answer it; an unknown id is the same 404.
    const stranger = await newPerson();
    const theirs = createAgentsClient({ url: posey().agentsUrl, token: () => stranger.auth.accessToken() });
    expect(await listActions(theirs)).toEqual([]);
    expect(await failure(confirmAction(theirs, older))).toMatchObject({ status: 404, code: 'not_found' });
    expect((await failure(denyAction(agents, randomUUID()))).status).toBe(404);

    // Confirmed: the time plugin runs no confirmed actions, so it comes back failed, saying why.
    const confirmed = await confirmAction(agents, older);
    expect(confirmed).toMatchObject({ id: older, status: 'failed', result: 'this plugin runs no confirmed actions' });
    expect(await listActions(agents)).toEqual([]);
  });

  it('refuses to confirm an expired action with a 409', async () => {
    const { auth, session } = await newPerson();
    const agents = createAgentsClient({ url: posey().agentsUrl, token: () => auth.accessToken() });
    const expired = await asked(session.user.id, 'set the clock forward', { expiresIn: '-1 second' });
    const error = await failure(confirmAction(agents, expired));
    expect(error).toMatchObject({ status: 409, code: 'conflict', message: 'the action expired; ask again' });
  });
});

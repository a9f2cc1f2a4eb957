// What the companion's tools asked the person to confirm, as the web app answers it: through the
// BFF (`/agents/v1/actions/{id}/{verb}`). The card and how an answer is taken are @posey/ui's.

import { answerAction as answerWith, type Answer, type Verb } from '@posey/ui';

import { api } from './client/api';

export { type Action, type Answer, type Verb, actionFromEvent, outcomeOf } from '@posey/ui';

/** Confirms or denies an action through the BFF; a 409 or 404 is final (see @posey/ui). */
export function answerAction(id: string, verb: Verb, call: typeof api = api): Promise<Answer> {
  return answerWith(id, verb, (actionId, answer) => call(`/agents/v1/actions/${encodeURIComponent(actionId)}/${answer}`, { method: 'POST' }));
}

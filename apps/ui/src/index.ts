// @posey/ui: the React components and the conversation model the web and the desktop app share
// (Tailwind + daisyUI classes; each app's CSS scans this folder). Nothing here knows how an app
// reaches Posey: what must travel (an answer to an action) is passed in.

export { ActionCard, ActionCardView, type ActionCardViewProps } from './action-card';
export { type Action, type Answer, type AnswerAction, type Outcome, type SendAnswer, type Verb, actionFromEvent, answerAction, outcomeOf } from './actions';
export { type Item, type PassageHref, type StoredMessage, applyEvent, citationsOf, itemsFromHistory } from './chat-items';
export { type Citation, Markdown } from './markdown';
export { type AgentsCall, type ConversationLink, type Memory, MemoryList } from './memory-list';
export { NotificationCard, type ShownNotification } from './notification-card';
export { ReminderCard, type ShownTask, type TaskAction } from './reminder-card';
export { cronSpec, describeSchedule, inZone, parseTime, type Repeat, WEEKDAYS } from './schedule';
export { Transcript } from './transcript';

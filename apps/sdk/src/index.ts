// @posey/sdk: what every Posey client shares.

export { type Action, type ActionStatus, confirmAction, denyAction, listActions } from './actions.js';
export {
  AuthClient,
  type AuthClientOptions,
  type AuthEvent,
  type AuthListener,
  type Identity,
  type OtpType,
  type Session,
  type SessionInfo,
  type User,
} from './auth.js';
export {
  type AgentEvent,
  type ChatEvent,
  type ConfirmationEvent,
  type DoneEvent,
  type TurnErrorEvent,
  type StreamChatOptions,
  type TextEvent,
  type ToolCallEvent,
  type ToolResultEvent,
  type UsageEvent,
  streamChat,
} from './chat.js';
export { PoseyError, type PoseyErrorInit, errorFromBody, errorFromResponse } from './errors.js';
export { GatewayClient, type GatewayClientOptions, type GraphQLErrorEntry, type QueryOptions } from './gateway.js';
export { type ParsedReminder, deviceTimeZone, parseReminder, reminderTask } from './remind.js';
export * from './rest.js';
export { type SseEvent, parseSse } from './sse.js';
export {
  type CookieJar,
  type CookieOptions,
  CookieStorage,
  type Invoke,
  MemoryStorage,
  type SecureStoreLike,
  type Storage,
  ipcStorage,
  secureStoreStorage,
} from './storage.js';
export { type TokenSource, resolveToken } from './token.js';

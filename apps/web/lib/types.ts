// The services' JSON, as the pages use it.

import type { StoredMessage as SharedMessage } from '@posey/ui';

export interface Conversation {
  id: string;
  title: string;
  agent: string;
  created_at: string;
  updated_at: string;
}

/** A stored message as agents lists it: what the transcript reads (@posey/ui), its turn, and its tool's name. */
export interface StoredMessage extends SharedMessage {
  turn_id: string;
  tool_call_id?: string;
  tool_name?: string;
}

export interface Memory {
  id: string;
  text: string;
  kind: string;
  origin: string;
  source_message: number | null;
  conversation_id: string | null;
  supersedes: string | null;
  created_at: string;
  updated_at: string;
  /** Set once a newer memory replaced it (the export's history). */
  superseded_at?: string | null;
  /** Set once the person retracted it in conversation. */
  retracted_at?: string | null;
}

export interface DocumentInfo {
  id: string;
  filename: string;
  media_type: string;
  size_bytes: number;
  status: 'queued' | 'extracting' | 'embedding' | 'ready' | 'failed' | string;
  error: string | null;
  pages: number | null;
  chunks_total: number;
  chunks_done: number;
  created_at: string;
  updated_at: string;
}

export interface Chunk {
  ordinal: number;
  text: string;
  page?: number | null;
  heading?: string | null;
}

export interface Task {
  id: string;
  name: string;
  kind: 'reminder' | 'webhook' | 'agent_task';
  payload: Record<string, unknown>;
  schedule: { kind: 'cron' | 'once' | 'interval' | 'rrule'; spec: string };
  time_zone: string;
  next_run_at: string | null;
  paused: boolean;
  created_at: string;
  updated_at: string;
}

export interface Run {
  id: number;
  scheduled_for: string;
  status: string;
  attempts: number;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
}

export interface Notification {
  id: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  task_id: string | null;
  created_at: string;
  read_at: string | null;
}

export interface Profile {
  name: string | null;
  time_zone: string;
  preferences: Record<string, unknown>;
}

export interface SessionInfo {
  id: string;
  created_at: string;
  refreshed_at: string | null;
  user_agent: string | null;
  ip: string | null;
  current: boolean;
}

/** A pending invite as auth's `/admin/invites` and `/invite` show it. */
export interface InviteInfo {
  id: string;
  email: string;
  invited_at: string;
  expires_at: string;
  status: 'pending' | 'expired';
  /** Only on the answer to `/invite`: whether it was emailed, else the link to pass on. */
  emailed?: boolean;
  link?: string;
}

/** Auth's `/admin/status` (the parts the owner's settings show). */
export interface AuthStatus {
  email: { configured: boolean; transport: string; from?: string | null };
  signup: { mode: 'owner' | 'open' | 'invite' };
  invites: { pending: number; ttl: number };
}

/** Cron's `/v1/status` (the parts the owner's settings show). */
export interface CronStatus {
  web_push: { configured: boolean };
  email: { configured: boolean };
  agent_tasks: { configured: boolean; missing: string[] };
  backups: BackupStatus;
}

/** Cron's scheduled backups, in its `/v1/status`. */
export interface BackupStatus {
  configured: boolean;
  dir?: string | null;
  schedule?: string | null;
  keep?: number | null;
  last_run?: BackupRun | null;
  last_success?: BackupRun | null;
}

export interface BackupRun {
  scheduled_for: string;
  status: string;
  finished_at?: string | null;
  error?: string | null;
  name?: string | null;
  bytes?: number | null;
}

/** Agents' `/v1/me/export/progress`. */
export interface ExportProgress {
  state: 'none' | 'running' | 'finished' | 'failed';
  started_at?: string | null;
  finished_at?: string | null;
  part?: string | null;
  parts_done: number;
  parts_total: number;
  files: number;
  bytes: number;
}

/** Agents' `/v1/me/model`. */
export interface ModelChoice {
  model: string | null;
  using: string;
}

/** A calendar time: a date (all day) or a wall-clock time with its zone, and its instant. */
export interface CalTime {
  date?: string;
  date_time?: string;
  time_zone?: string;
  floating?: boolean;
  /** The instant (RFC 3339); always set on what the agents service sends. */
  at?: string;
}

/** Agents' `/v1/calendars`. */
export interface CalendarInfo {
  id: string;
  name: string;
  colour: string | null;
  time_zone: string;
  description: string | null;
  sync_seq: number;
  has_feed: boolean;
  created_at: string;
  updated_at: string;
}

export interface CalendarAlarm {
  action: string;
  offset?: string;
  related?: string;
  at?: string;
  description?: string;
}

/** One occurrence in agents' `/v1/events?from=&to=` (a recurring event's each on its own). */
export interface Occurrence {
  event_id: string;
  calendar_id: string;
  uid: string;
  /** What `?occurrence=` takes to change or delete this one (recurring events only). */
  occurrence: string | null;
  recurring: boolean;
  summary: string | null;
  description: string | null;
  location: string | null;
  start: CalTime;
  end: CalTime;
  all_day: boolean;
  status: string | null;
  categories: string[];
  transparent: boolean;
  alarms: CalendarAlarm[];
  /** The series' ETag, for `If-Match`. */
  etag: string;
}

/** An event or to-do whole (agents' `/v1/events/{id}`, `/v1/todos`); a to-do's `end` is its due time. */
export interface CalendarItem {
  id: string;
  calendar_id: string;
  uid: string;
  etag: string;
  summary: string | null;
  description: string | null;
  location: string | null;
  start: CalTime | null;
  end: CalTime | null;
  all_day: boolean;
  status: string | null;
  categories: string[];
  transparent: boolean;
  priority: number | null;
  completed_at: string | null;
  parent_uid: string | null;
  recurrence: { rules: string[]; dates: CalTime[]; excluded: CalTime[] } | null;
  alarms: CalendarAlarm[];
  updated_at: string;
}

/** What an `.ics` import did, by UID. */
export interface ImportReport {
  added: string[];
  updated: string[];
  unchanged: string[];
  skipped?: { uid: string; reason: string }[];
}

/** A calendar's private feed, as made: the token is shown this once. */
export interface CalendarFeed {
  token: string;
  path: string;
}

/** An app password as auth lists it (its secret is never listed). */
export interface AppPasswordInfo {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

/** A new app password: its `password` is in this answer only. */
export interface NewAppPassword extends AppPasswordInfo {
  password: string;
}

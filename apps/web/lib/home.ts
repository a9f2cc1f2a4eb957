// The Home page's pure parts: agents' `/v1/home` JSON as the page uses it (written by hand from
// the contract, like lib/finance.ts), entities grouped by area, the Command bodies the controls
// send (checked first, with a message naming the problem), which of them ask the person first,
// what the companion may see and control, and the connection and watch forms' JSON.

// ---- The API's shapes -----------------------------------------------------------------------

export type ConnectionKind = 'home_assistant' | 'mqtt';
export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface Connection {
  id: string;
  kind: ConnectionKind;
  name: string;
  /** Never holds a password. */
  url: string | null;
  status: ConnectionStatus;
  last_error: string | null;
  entities: number;
  created_at: string;
}

export interface Area {
  area_id: string;
  name: string;
}

export interface Entity {
  entity_id: string;
  connection_id: string;
  domain: string;
  name: string;
  area_id: string | null;
  area: string | null;
  device: string | null;
  device_class: string | null;
  state: string;
  attributes: Record<string, unknown>;
  last_changed: string;
  last_updated: string;
  /** The companion may see it. */
  visible: boolean;
  /** The companion may control it. */
  controllable: boolean;
  /** Some of its commands need the person's yes. */
  security: boolean;
  /** The person marked it "always ask first": every command the companion gives it waits for their yes. */
  ask_first: boolean;
}

export interface EntitiesResponse {
  areas: Area[];
  entities: Entity[];
}

export const HVAC_MODES = ['off', 'heat', 'cool', 'heat_cool', 'auto', 'dry', 'fan_only'] as const;
export type HvacMode = (typeof HVAC_MODES)[number];
export const ALARM_MODES = ['home', 'away', 'night', 'vacation'] as const;
export type AlarmMode = (typeof ALARM_MODES)[number];

/**
 * What to do to one entity. `brightness` and `target` are posey-home's serde shapes
 * (`crates/posey-home/src/command.rs`: externally tagged enums, `{"percent": 40}`,
 * `{"single": 21.5}` or `{"range": {"low", "high"}}`).
 */
export type Command =
  | { action: 'turn_on'; brightness?: { percent: number } | { level: number }; rgb?: [number, number, number]; color_temp_kelvin?: number }
  | { action: 'turn_off' }
  | { action: 'toggle' }
  | { action: 'set_temperature'; target: { single: number } | { range: { low: number; high: number } } }
  | { action: 'set_hvac_mode'; mode: HvacMode }
  | { action: 'open_cover' }
  | { action: 'close_cover' }
  | { action: 'stop_cover' }
  | { action: 'set_cover_position'; position: number }
  | { action: 'lock' }
  | { action: 'unlock' }
  | { action: 'open' }
  | { action: 'alarm_arm'; mode: AlarmMode; code?: string }
  | { action: 'alarm_disarm'; code?: string }
  | { action: 'media_play' }
  | { action: 'media_pause' }
  | { action: 'set_volume'; level: number }
  | { action: 'activate_scene' }
  | { action: 'run_script' }
  | { action: 'enable_automation' }
  | { action: 'disable_automation' };

export type Action = Command['action'];

export type AuditActor = 'person' | 'agent' | 'automation';
export type AuditOutcome = 'done' | 'failed' | 'refused' | 'awaiting_confirmation';

export interface AuditEntry {
  id: string;
  at: string;
  actor: AuditActor;
  agent: string | null;
  entity_id: string;
  command: string;
  /** Never holds an alarm code. */
  parameters: Record<string, unknown>;
  outcome: AuditOutcome;
  error: string | null;
  state_after: string | null;
}

export interface CommandResult {
  entity: Entity;
  audit: AuditEntry;
}

export interface Exposure {
  visible_entities: string[];
  visible_areas: string[];
  controllable_entities: string[];
  controllable_areas: string[];
  hidden_entities: string[];
  /** Entities on which the companion runs nothing without the person's yes, whatever their kind. */
  ask_first_entities: string[];
}

export interface TimeWindow {
  start: string;
  end: string;
}

export interface Watch {
  id: string;
  entity_id: string;
  name: string;
  from: string | null;
  to: string | null;
  threshold: Record<string, unknown> | null;
  window: TimeWindow | null;
  created_at: string;
  last_fired_at: string | null;
}

export type Errors<K extends string> = Partial<Record<K | 'form', string[]>>;

/**
 * A 422's `fields` under the form's own fields (a nested one, agents' `window.start`, under its
 * parent `window`); one the form has no field for goes to `form`.
 */
export function apiFieldErrors<K extends string>(fields: Record<string, string[]>, known: readonly K[], message?: string): Errors<K> {
  const out: Errors<K> = {};
  for (const [field, problems] of Object.entries(fields)) {
    const parent = field.split(/[.[]/)[0];
    const key = (known as readonly string[]).includes(field) ? (field as K) : (known as readonly string[]).includes(parent) ? (parent as K) : 'form';
    const text = problems.map((p) => (key === 'form' ? `${field} ${p}` : p));
    out[key] = [...(out[key] ?? []), ...text];
  }
  if (Object.keys(out).length === 0 && message) out.form = [message];
  return out;
}

// ---- Entities by area -----------------------------------------------------------------------

export const NO_AREA = 'No area';

export interface AreaGroup {
  /** `null` for the entities in no area. */
  area_id: string | null;
  name: string;
  entities: Entity[];
}

const byName = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'base' });

/**
 * The entities under their areas: the areas by name (those the response lists; an entity's area
 * missing from the list still gets its group, by the entity's `area`), each area's entities by
 * name, and the entities in no area last under "No area". Areas without entities are left out.
 */
export function groupByArea(areas: Area[], entities: Entity[]): AreaGroup[] {
  const groups = new Map<string, AreaGroup>();
  for (const area of areas) groups.set(area.area_id, { area_id: area.area_id, name: area.name, entities: [] });
  const none: AreaGroup = { area_id: null, name: NO_AREA, entities: [] };
  for (const entity of entities) {
    if (!entity.area_id) {
      none.entities.push(entity);
      continue;
    }
    let group = groups.get(entity.area_id);
    if (!group) {
      group = { area_id: entity.area_id, name: entity.area ?? entity.area_id, entities: [] };
      groups.set(entity.area_id, group);
    }
    group.entities.push(entity);
  }
  const sortEntities = (list: Entity[]) => list.sort((a, b) => byName(entityName(a), entityName(b)) || a.entity_id.localeCompare(b.entity_id));
  const named = [...groups.values()].filter((g) => g.entities.length > 0).sort((a, b) => byName(a.name, b.name));
  for (const g of named) sortEntities(g.entities);
  if (none.entities.length > 0) named.push({ ...none, entities: sortEntities(none.entities) });
  return named;
}

/** The entity's name, else its id. */
export function entityName(entity: Pick<Entity, 'name' | 'entity_id'>): string {
  return entity.name.trim() || entity.entity_id;
}

/** The list with `entity` in place of the one of the same id and connection. */
export function replaceEntity(entities: Entity[], entity: Entity): Entity[] {
  return entities.map((e) => (e.entity_id === entity.entity_id && e.connection_id === entity.connection_id ? entity : e));
}

export function isUnavailable(entity: Pick<Entity, 'state'>): boolean {
  return entity.state === 'unavailable';
}

/** Which controls an entity gets on the page; `none` shows its state only. */
export type ControlKind = 'light' | 'toggle' | 'climate' | 'cover' | 'lock' | 'alarm' | 'media' | 'scene' | 'script' | 'automation' | 'none';

export function controlKind(domain: string): ControlKind {
  switch (domain) {
    case 'light':
      return 'light';
    case 'switch':
    case 'fan':
    case 'input_boolean':
      return 'toggle';
    case 'climate':
      return 'climate';
    case 'cover':
      return 'cover';
    case 'lock':
      return 'lock';
    case 'alarm_control_panel':
      return 'alarm';
    case 'media_player':
      return 'media';
    case 'scene':
      return 'scene';
    case 'script':
      return 'script';
    case 'automation':
      return 'automation';
    default:
      return 'none';
  }
}

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** A light's brightness as a percentage (Home Assistant's 0-255 level, rounded), `null` when off or unknown. */
export function brightnessPercent(entity: Pick<Entity, 'state' | 'attributes'>): number | null {
  const level = num(entity.attributes.brightness);
  if (entity.state !== 'on' || level === null) return null;
  return Math.round((Math.min(255, Math.max(0, level)) * 100) / 255);
}

/** The HVAC modes a thermostat offers (its `hvac_modes`, those the API can set). */
export function hvacModes(entity: Pick<Entity, 'attributes'>): HvacMode[] {
  const modes = entity.attributes.hvac_modes;
  if (!Array.isArray(modes)) return [];
  return modes.filter((m): m is HvacMode => typeof m === 'string' && (HVAC_MODES as readonly string[]).includes(m));
}

export function targetTemperature(entity: Pick<Entity, 'attributes'>): number | null {
  return num(entity.attributes.temperature);
}

/** The state as shown: a unit after a number (`21.5 °C`), a light's brightness (`on · 40 %`). */
export function stateLabel(entity: Pick<Entity, 'state' | 'attributes' | 'domain'>): string {
  const { state } = entity;
  const unit = entity.attributes.unit_of_measurement;
  if (typeof unit === 'string' && unit && state !== 'unavailable' && state !== 'unknown') return `${state} ${unit}`;
  if (entity.domain === 'light') {
    const percent = brightnessPercent(entity);
    if (percent !== null) return `on · ${percent} %`;
  }
  if (entity.domain === 'climate') {
    const current = num(entity.attributes.current_temperature);
    if (current !== null) return `${state.replace(/_/g, ' ')} · ${current} °`;
  }
  return state.replace(/_/g, ' ');
}

export const HVAC_LABELS: Record<HvacMode, string> = {
  off: 'Off',
  heat: 'Heat',
  cool: 'Cool',
  heat_cool: 'Heat and cool',
  auto: 'Auto',
  dry: 'Dry',
  fan_only: 'Fan only',
};

// ---- Commands -------------------------------------------------------------------------------

export type Built<T> = { ok: true; value: T } | { ok: false; error: string };

/** On or off for a switch, fan, light or automation, from its current state. */
export function switchCommand(entity: Pick<Entity, 'domain' | 'state'>, on: boolean): Command {
  if (entity.domain === 'automation') return { action: on ? 'enable_automation' : 'disable_automation' };
  return { action: on ? 'turn_on' : 'turn_off' };
}

/** A light at a brightness (0 to 100 %, whole). */
export function brightnessCommand(percent: number | string): Built<Command> {
  const value = typeof percent === 'number' ? percent : Number(String(percent).trim());
  if (String(percent).trim() === '' || !Number.isInteger(value) || value < 0 || value > 100) {
    return { ok: false, error: 'The brightness must be a whole number from 0 to 100 %.' };
  }
  return { ok: true, value: { action: 'turn_on', brightness: { percent: value } } };
}

/** Celsius a thermostat may be asked for (posey-home refuses anything outside). */
export const CELSIUS = { min: -30, max: 60 };

/** A thermostat's target from what was typed (`21.5`, `21,5`). */
export function temperatureCommand(input: string): Built<Command> {
  const text = input.trim().replace(',', '.');
  if (!text) return { ok: false, error: 'Enter the temperature to set.' };
  const value = Number(text);
  if (!/^-?\d+(\.\d+)?$/.test(text) || !Number.isFinite(value)) return { ok: false, error: `“${input.trim()}” is not a temperature.` };
  if (value < CELSIUS.min || value > CELSIUS.max) return { ok: false, error: `The temperature must be from ${CELSIUS.min} to ${CELSIUS.max} °C.` };
  return { ok: true, value: { action: 'set_temperature', target: { single: value } } };
}

export function hvacModeCommand(mode: string, offered: readonly string[]): Built<Command> {
  if (!(HVAC_MODES as readonly string[]).includes(mode) || (offered.length > 0 && !offered.includes(mode))) {
    return { ok: false, error: `This thermostat has no mode “${mode}”.` };
  }
  return { ok: true, value: { action: 'set_hvac_mode', mode: mode as HvacMode } };
}

/** Arming or disarming; an empty code is left out (the panel may need none). */
export function alarmCommand(what: AlarmMode | 'disarm', code: string): Command {
  const c = code.length > 0 ? { code } : {};
  return what === 'disarm' ? { action: 'alarm_disarm', ...c } : { action: 'alarm_arm', mode: what, ...c };
}

/** The alarm command with another code (the one typed in the confirm dialog). */
export function withCode(command: Command, code: string): Command {
  if (command.action === 'alarm_arm') return alarmCommand(command.mode, code);
  if (command.action === 'alarm_disarm') return alarmCommand('disarm', code);
  return command;
}

export function isAlarmCommand(command: Command): boolean {
  return command.action === 'alarm_arm' || command.action === 'alarm_disarm';
}

const SECURITY_ACTIONS: readonly Action[] = ['unlock', 'open', 'alarm_arm', 'alarm_disarm', 'open_cover', 'disable_automation'];

/**
 * Whether the page asks the person before sending this command: the entity is a security one
 * (a lock, alarm panel, garage door or gate, automation) and the command unlocks, opens, arms,
 * disarms or switches an automation off. Moving such a cover anywhere but closed, or turning an
 * automation off by its switch, asks too (posey-home's own rule counts them the same).
 */
export function needsConfirmation(entity: Pick<Entity, 'security' | 'domain'>, command: Command): boolean {
  if (!entity.security) return false;
  if (SECURITY_ACTIONS.includes(command.action)) return true;
  if (command.action === 'set_cover_position') return command.position > 0;
  return entity.domain === 'automation' && (command.action === 'turn_off' || command.action === 'toggle');
}

/** The confirm dialog's question: "Unlock Front door?". */
export function confirmQuestion(entity: Pick<Entity, 'name' | 'entity_id'>, command: Command): string {
  const name = entityName(entity);
  switch (command.action) {
    case 'unlock':
      return `Unlock ${name}?`;
    case 'open':
    case 'open_cover':
    case 'set_cover_position':
      return `Open ${name}?`;
    case 'alarm_arm':
      return `Arm ${name} (${command.mode})?`;
    case 'alarm_disarm':
      return `Disarm ${name}?`;
    case 'disable_automation':
    case 'turn_off':
    case 'toggle':
      return `Switch off ${name}?`;
    default:
      return `${commandWords(command.action)} ${name}?`;
  }
}

const ACTION_WORDS: Record<string, string> = {
  turn_on: 'Turn on',
  turn_off: 'Turn off',
  toggle: 'Toggle',
  set_temperature: 'Set the temperature',
  set_hvac_mode: 'Set the mode',
  open_cover: 'Open',
  close_cover: 'Close',
  stop_cover: 'Stop',
  set_cover_position: 'Move',
  lock: 'Lock',
  unlock: 'Unlock',
  open: 'Open',
  alarm_arm: 'Arm',
  alarm_disarm: 'Disarm',
  media_play: 'Play',
  media_pause: 'Pause',
  set_volume: 'Set the volume',
  activate_scene: 'Activate',
  run_script: 'Run',
  enable_automation: 'Switch on',
  disable_automation: 'Switch off',
};

/** A command's name in words (`alarm_disarm` → `Disarm`); one this page does not know as it came. */
export function commandWords(action: string): string {
  return ACTION_WORDS[action] ?? action.replace(/_/g, ' ');
}

// ---- Activity -------------------------------------------------------------------------------

/** Who gave the command: You, the agent's name, or an automation. */
export function actorLabel(entry: Pick<AuditEntry, 'actor' | 'agent'>): string {
  if (entry.actor === 'person') return 'You';
  if (entry.actor === 'agent') return entry.agent?.trim() || 'The companion';
  return 'An automation';
}

/** What was done, with the values that matter: `Turn on Kitchen (brightness 40 %)`. */
export function auditWhat(entry: Pick<AuditEntry, 'command' | 'parameters' | 'entity_id'>, name?: string): string {
  const p = entry.parameters ?? {};
  const details: string[] = [];
  const brightness = p.brightness as Record<string, unknown> | undefined;
  if (brightness && typeof brightness === 'object') {
    if (num(brightness.percent) !== null) details.push(`brightness ${String(brightness.percent)} %`);
    else if (num(brightness.level) !== null) details.push(`brightness ${Math.round(((brightness.level as number) * 100) / 255)} %`);
  }
  const target = p.target as Record<string, unknown> | undefined;
  if (target && typeof target === 'object') {
    if (num(target.single) !== null) details.push(`${String(target.single)} °C`);
    const range = target.range as Record<string, unknown> | undefined;
    if (range && num(range.low) !== null && num(range.high) !== null) details.push(`${String(range.low)} to ${String(range.high)} °C`);
  }
  if (typeof p.mode === 'string') details.push(entry.command === 'set_hvac_mode' && p.mode in HVAC_LABELS ? HVAC_LABELS[p.mode as HvacMode].toLowerCase() : p.mode);
  if (num(p.position) !== null) details.push(`to ${String(p.position)} %`);
  if (num(p.level) !== null) details.push(`to ${Math.round((p.level as number) * 100)} %`);
  const tail = details.length > 0 ? ` (${details.join(', ')})` : '';
  return `${commandWords(entry.command)} ${name ?? entry.entity_id}${tail}`;
}

export const OUTCOME_LABELS: Record<AuditOutcome, string> = {
  done: 'Done',
  failed: 'Failed',
  refused: 'Refused',
  awaiting_confirmation: 'Waiting for you',
};

export function outcomeLabel(outcome: string): string {
  return OUTCOME_LABELS[outcome as AuditOutcome] ?? outcome;
}

/** Newest first, whatever order they came in. */
export function newestFirst<T extends { at: string }>(entries: T[]): T[] {
  return [...entries].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

/** An instant as wall-clock date and time in the person's zone (`6 Dec 2026, 14:05`). */
export function instantLabel(at: string, zone: string): string {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return at;
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);
}

// ---- Exposure -------------------------------------------------------------------------------

export const NO_EXPOSURE: Exposure = { visible_entities: [], visible_areas: [], controllable_entities: [], controllable_areas: [], hidden_entities: [], ask_first_entities: [] };

/** Every list present (the API's defaults are empty lists). */
export function normaliseExposure(exposure: Partial<Exposure> | null | undefined): Exposure {
  return {
    visible_entities: [...(exposure?.visible_entities ?? [])],
    visible_areas: [...(exposure?.visible_areas ?? [])],
    controllable_entities: [...(exposure?.controllable_entities ?? [])],
    controllable_areas: [...(exposure?.controllable_areas ?? [])],
    hidden_entities: [...(exposure?.hidden_entities ?? [])],
    ask_first_entities: [...(exposure?.ask_first_entities ?? [])],
  };
}

export interface EntityExposure {
  /** The companion may see it (by itself, its area, or being controllable). */
  sees: boolean;
  controls: boolean;
  /** Its area lets the companion see / control all of it (a hidden entity aside). */
  areaSees: boolean;
  areaControls: boolean;
}

/** What the companion may do with this entity under this policy (posey-home's `can_see`/`can_control`). */
export function entityExposure(exposure: Exposure, entity: Pick<Entity, 'entity_id' | 'area_id'>): EntityExposure {
  const id = entity.entity_id;
  const area = entity.area_id;
  const areaControls = !!area && exposure.controllable_areas.includes(area);
  const areaSees = areaControls || (!!area && exposure.visible_areas.includes(area));
  const hidden = exposure.hidden_entities.includes(id);
  const controls = !hidden && (exposure.controllable_entities.includes(id) || areaControls);
  const sees = !hidden && (controls || exposure.visible_entities.includes(id) || areaSees);
  return { sees, controls, areaSees, areaControls };
}

const add = (list: string[], item: string) => (list.includes(item) ? list : [...list, item].sort());
const drop = (list: string[], item: string) => list.filter((x) => x !== item);

/**
 * The policy with this entity seen and controlled or not, the area lists as they are. Control
 * implies sight; an entity its area shows is hidden (`hidden_entities`) to stop the companion
 * seeing it. An entity whose area is controllable stays controllable while seen: only hiding it
 * takes that away (the API has no "see but not control" for one entity of such an area).
 */
export function setEntityExposure(exposure: Exposure, entity: Pick<Entity, 'entity_id' | 'area_id'>, want: { sees: boolean; controls: boolean }): Exposure {
  const id = entity.entity_id;
  const sees = want.sees || want.controls;
  const next = normaliseExposure(exposure);
  const { areaSees } = entityExposure({ ...next, hidden_entities: [] }, entity);
  if (!sees) {
    next.visible_entities = drop(next.visible_entities, id);
    next.controllable_entities = drop(next.controllable_entities, id);
    next.hidden_entities = areaSees ? add(next.hidden_entities, id) : drop(next.hidden_entities, id);
    return next;
  }
  next.hidden_entities = drop(next.hidden_entities, id);
  next.visible_entities = add(next.visible_entities, id);
  next.controllable_entities = want.controls ? add(next.controllable_entities, id) : drop(next.controllable_entities, id);
  return next;
}

/** The policy with a whole area seen and controlled or not; control implies sight. */
export function setAreaExposure(exposure: Exposure, areaId: string, want: { sees: boolean; controls: boolean }): Exposure {
  const next = normaliseExposure(exposure);
  const sees = want.sees || want.controls;
  next.visible_areas = sees ? add(next.visible_areas, areaId) : drop(next.visible_areas, areaId);
  next.controllable_areas = want.controls ? add(next.controllable_areas, areaId) : drop(next.controllable_areas, areaId);
  return next;
}

/** Whether the person marked the entity "always ask first". */
export function asksFirst(exposure: Exposure, entity: Pick<Entity, 'entity_id'>): boolean {
  return exposure.ask_first_entities.includes(entity.entity_id);
}

/** The policy with the entity marked "always ask first" or not; what the companion sees and controls stays. */
export function setAskFirst(exposure: Exposure, entity: Pick<Entity, 'entity_id'>, ask: boolean): Exposure {
  const next = normaliseExposure(exposure);
  next.ask_first_entities = ask ? add(next.ask_first_entities, entity.entity_id) : drop(next.ask_first_entities, entity.entity_id);
  return next;
}

export function areaExposure(exposure: Exposure, areaId: string): { sees: boolean; controls: boolean } {
  const controls = exposure.controllable_areas.includes(areaId);
  return { sees: controls || exposure.visible_areas.includes(areaId), controls };
}

// ---- Connections ----------------------------------------------------------------------------

export interface ConnectionForm {
  kind: ConnectionKind;
  name: string;
  url: string;
  /** Home Assistant's long-lived access token, or the MQTT broker's password. */
  token: string;
  discovery_prefix: string;
  zigbee2mqtt_base: string;
}

export const CONNECTION_FIELDS = ['kind', 'name', 'url', 'token', 'discovery_prefix', 'zigbee2mqtt_base'] as const;
export type ConnectionField = (typeof CONNECTION_FIELDS)[number];
export type ConnectionErrors = Errors<ConnectionField>;

export interface ConnectionBody {
  kind: ConnectionKind;
  name: string;
  url?: string;
  token?: string;
  discovery_prefix?: string;
  zigbee2mqtt_base?: string | null;
}

export const DEFAULT_DISCOVERY_PREFIX = 'homeassistant';

export function blankConnection(kind: ConnectionKind = 'home_assistant'): ConnectionForm {
  return { kind, name: '', url: '', token: '', discovery_prefix: DEFAULT_DISCOVERY_PREFIX, zigbee2mqtt_base: '' };
}

const HA_SCHEMES = ['http:', 'https:', 'ws:', 'wss:'];
const MQTT_SCHEMES = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:'];

function urlProblem(text: string, schemes: string[], example: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `Enter the whole address, like ${example}.`;
  }
  if (!schemes.includes(url.protocol)) return `The address must start with ${schemes.map((s) => `${s}//`).join(', ')} (like ${example}).`;
  if (!url.hostname) return `The address has no host, like ${example}.`;
  return null;
}

/** A topic prefix: MQTT's wildcards and an empty level are not allowed. */
function topicProblem(text: string): string | null {
  if (/[#+]/.test(text)) return 'It cannot contain # or +.';
  if (text.startsWith('/') || text.endsWith('/') || text.includes('//')) return 'It cannot start or end with / or have an empty level.';
  return null;
}

/** The `POST /v1/home/connections` body from the form, or what is wrong by field. */
export function connectionBody(form: ConnectionForm): { body: ConnectionBody } | { errors: ConnectionErrors } {
  const errors: ConnectionErrors = {};
  const name = form.name.trim();
  const url = form.url.trim();
  if (!name) errors.name = ['Give the connection a name.'];
  else if (name.length > 100) errors.name = ['The name can be at most 100 characters.'];
  if (form.kind === 'home_assistant') {
    const problem = url ? urlProblem(url, HA_SCHEMES, 'http://homeassistant.local:8123') : 'Enter your Home Assistant’s address.';
    if (problem) errors.url = [problem];
    if (!form.token.trim()) errors.token = ['Paste a long-lived access token (your Home Assistant profile → Security).'];
    if (Object.keys(errors).length > 0) return { errors };
    return { body: { kind: 'home_assistant', name, url, token: form.token.trim() } };
  }
  if (url) {
    const problem = urlProblem(url, MQTT_SCHEMES, 'mqtt://broker.local:1883');
    if (problem) errors.url = [problem];
  }
  const prefix = form.discovery_prefix.trim();
  const prefixProblem = prefix ? topicProblem(prefix) : null;
  if (prefixProblem) errors.discovery_prefix = [prefixProblem];
  const base = form.zigbee2mqtt_base.trim();
  const baseProblem = base ? topicProblem(base) : null;
  if (baseProblem) errors.zigbee2mqtt_base = [baseProblem];
  if (Object.keys(errors).length > 0) return { errors };
  const body: ConnectionBody = { kind: 'mqtt', name, discovery_prefix: prefix || DEFAULT_DISCOVERY_PREFIX, zigbee2mqtt_base: base || null };
  if (url) body.url = url;
  // A password is sent as typed: spaces may be part of it.
  if (form.token) body.token = form.token;
  return { body };
}

export const STATUS_LABELS: Record<ConnectionStatus, string> = {
  connecting: 'Connecting',
  connected: 'Connected',
  disconnected: 'Disconnected',
  stopped: 'Stopped',
};

export function kindLabel(kind: string): string {
  return kind === 'home_assistant' ? 'Home Assistant' : kind === 'mqtt' ? 'MQTT broker' : kind;
}

// ---- Watches --------------------------------------------------------------------------------

export interface WatchForm {
  entity_id: string;
  name: string;
  to: string;
  from: string;
  start: string;
  end: string;
}

export const WATCH_FIELDS = ['entity_id', 'name', 'to', 'from', 'window'] as const;
export type WatchField = (typeof WATCH_FIELDS)[number];
export type WatchErrors = Errors<WatchField>;

export interface WatchBody {
  entity_id: string;
  name: string;
  to: string;
  from?: string;
  window?: TimeWindow;
}

export function blankWatch(entityId = ''): WatchForm {
  return { entity_id: entityId, name: '', to: '', from: '', start: '', end: '' };
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** `HH:MM` of a time the API gave back (`23:00:00` → `23:00`). */
export function hhmmOf(time: string): string {
  return /^\d{2}:\d{2}/.test(time) ? time.slice(0, 5) : time;
}

/** The `POST /v1/home/watches` body from the form, or what is wrong by field. */
export function watchBody(form: WatchForm): { body: WatchBody } | { errors: WatchErrors } {
  const errors: WatchErrors = {};
  const name = form.name.trim();
  const to = form.to.trim();
  const from = form.from.trim();
  if (!form.entity_id) errors.entity_id = ['Choose what to watch.'];
  if (!name) errors.name = ['Give the watch a name: the notification is titled with it.'];
  else if (name.length > 200) errors.name = ['The name can be at most 200 characters.'];
  if (!to) errors.to = ['Enter the state to watch for (on, open, unlocked, …).'];
  const start = form.start.trim();
  const end = form.end.trim();
  if (start || end) {
    if (!start || !end) errors.window = ['Give both the start and the end of the time window, or neither.'];
    else if (!HHMM.test(start) || !HHMM.test(end)) errors.window = ['The times must be HH:MM (23:00).'];
    else if (start === end) errors.window = ['The window must not start and end at the same time.'];
  }
  if (Object.keys(errors).length > 0) return { errors };
  const body: WatchBody = { entity_id: form.entity_id, name, to };
  if (from) body.from = from;
  if (start && end) body.window = { start, end };
  return { body };
}

/** A watch in words: `Front door: closed → open, between 23:00 and 06:00`. */
export function watchWords(watch: Pick<Watch, 'from' | 'to' | 'window' | 'threshold'>, entityLabel: string): string {
  const change = watch.from && watch.to ? `${watch.from} → ${watch.to}` : watch.to ? `becomes ${watch.to}` : watch.from ? `leaves ${watch.from}` : watch.threshold ? 'crosses a threshold' : 'changes';
  const window = watch.window ? `, between ${hhmmOf(watch.window.start)} and ${hhmmOf(watch.window.end)}` : '';
  return `${entityLabel} ${change}${window}`;
}

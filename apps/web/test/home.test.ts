// The Home page's pure parts: entities grouped by area ("No area" last), the Command JSON each
// control sends (posey-home's serde shapes) and what is wrong with a value, which commands ask
// the person first, what the companion may see and control as the checkboxes change it, the
// connection and watch forms' JSON and messages, and the activity in words.

import { describe, expect, it } from 'vitest';

import {
  actorLabel,
  alarmCommand,
  apiFieldErrors,
  areaExposure,
  asksFirst,
  auditWhat,
  blankConnection,
  blankWatch,
  brightnessCommand,
  brightnessPercent,
  CONNECTION_FIELDS,
  confirmQuestion,
  connectionBody,
  controlKind,
  entityExposure,
  groupByArea,
  hvacModeCommand,
  hvacModes,
  instantLabel,
  isUnavailable,
  needsConfirmation,
  newestFirst,
  NO_AREA,
  NO_EXPOSURE,
  normaliseExposure,
  outcomeLabel,
  replaceEntity,
  setAreaExposure,
  setAskFirst,
  setEntityExposure,
  stateLabel,
  switchCommand,
  temperatureCommand,
  watchBody,
  WATCH_FIELDS,
  watchWords,
  withCode,
  type AuditEntry,
  type Command,
  type Entity,
  type Exposure,
} from '@/lib/home';

const entity = (over: Partial<Entity>): Entity => ({
  entity_id: 'light.kitchen',
  connection_id: 'c1',
  domain: 'light',
  name: 'Kitchen',
  area_id: 'kitchen',
  area: 'Kitchen',
  device: null,
  device_class: null,
  state: 'off',
  attributes: {},
  last_changed: '2026-12-06T10:00:00Z',
  last_updated: '2026-12-06T10:00:00Z',
  visible: false,
  controllable: false,
  security: false,
  ask_first: false,
  ...over,
});

const exposure = (over: Partial<Exposure>): Exposure => ({ ...NO_EXPOSURE, ...over });

describe('groupByArea', () => {
  const areas = [
    { area_id: 'living', name: 'Living room' },
    { area_id: 'bed', name: 'Bedroom' },
    { area_id: 'attic', name: 'Attic' },
  ];

  it('puts the entities under their areas by name, the areas by name, and "No area" last', () => {
    const groups = groupByArea(areas, [
      entity({ entity_id: 'sensor.hall', name: 'Hall temperature', area_id: null, area: null }),
      entity({ entity_id: 'light.sofa', name: 'Sofa', area_id: 'living' }),
      entity({ entity_id: 'light.bed', name: 'Bedside', area_id: 'bed' }),
      entity({ entity_id: 'switch.tv', name: 'aerial', area_id: 'living' }),
      entity({ entity_id: 'lock.door', name: 'Back door', area_id: null, area: null }),
    ]);
    expect(groups.map((g) => [g.name, g.area_id, g.entities.map((e) => e.entity_id)])).toEqual([
      ['Bedroom', 'bed', ['light.bed']],
      ['Living room', 'living', ['switch.tv', 'light.sofa']],
      [NO_AREA, null, ['lock.door', 'sensor.hall']],
    ]);
  });

  it('leaves out areas with no entities and keeps an area the list lacks under the entity’s own name', () => {
    const groups = groupByArea(areas, [entity({ entity_id: 'light.garage', name: 'Garage light', area_id: 'garage', area: 'Garage' })]);
    expect(groups).toEqual([{ area_id: 'garage', name: 'Garage', entities: [expect.objectContaining({ entity_id: 'light.garage' })] }]);
  });

  it('has no "No area" group when every entity has an area, and no groups without entities', () => {
    expect(groupByArea(areas, []).length).toBe(0);
    expect(groupByArea(areas, [entity({ area_id: 'attic' })]).map((g) => g.name)).toEqual(['Attic']);
  });

  it('names an entity without a name by its id', () => {
    const [group] = groupByArea([], [entity({ name: ' ', area_id: null })]);
    expect(group.entities[0].entity_id).toBe('light.kitchen');
  });
});

describe('an entity as shown', () => {
  it('reads a light’s brightness as a percentage of 255, only when on', () => {
    expect(brightnessPercent(entity({ state: 'on', attributes: { brightness: 255 } }))).toBe(100);
    expect(brightnessPercent(entity({ state: 'on', attributes: { brightness: 102 } }))).toBe(40);
    expect(brightnessPercent(entity({ state: 'off', attributes: { brightness: 102 } }))).toBeNull();
    expect(brightnessPercent(entity({ state: 'on', attributes: {} }))).toBeNull();
  });

  it('says the state with its unit or brightness', () => {
    expect(stateLabel(entity({ domain: 'sensor', state: '21.5', attributes: { unit_of_measurement: '°C' } }))).toBe('21.5 °C');
    expect(stateLabel(entity({ state: 'on', attributes: { brightness: 128 } }))).toBe('on · 50 %');
    expect(stateLabel(entity({ domain: 'alarm_control_panel', state: 'armed_away' }))).toBe('armed away');
    expect(stateLabel(entity({ domain: 'sensor', state: 'unavailable', attributes: { unit_of_measurement: '°C' } }))).toBe('unavailable');
  });

  it('knows unavailable entities', () => {
    expect(isUnavailable(entity({ state: 'unavailable' }))).toBe(true);
    expect(isUnavailable(entity({ state: 'off' }))).toBe(false);
  });

  it('gives each domain its controls', () => {
    expect(['light', 'switch', 'fan', 'climate', 'cover', 'lock', 'alarm_control_panel', 'media_player', 'scene', 'script', 'sensor', 'binary_sensor'].map(controlKind)).toEqual([
      'light',
      'toggle',
      'toggle',
      'climate',
      'cover',
      'lock',
      'alarm',
      'media',
      'scene',
      'script',
      'none',
      'none',
    ]);
  });

  it('offers the thermostat’s own HVAC modes that the API can set', () => {
    expect(hvacModes(entity({ attributes: { hvac_modes: ['off', 'heat', 'eco', 42, 'heat_cool'] } }))).toEqual(['off', 'heat', 'heat_cool']);
    expect(hvacModes(entity({ attributes: {} }))).toEqual([]);
  });

  it('replaces the entity a command returned, and only that one', () => {
    const a = entity({ entity_id: 'light.a' });
    const b = entity({ entity_id: 'light.b' });
    const b2 = entity({ entity_id: 'light.b', connection_id: 'c2' });
    const after = replaceEntity([a, b, b2], { ...b, state: 'on' });
    expect(after.map((e) => e.state)).toEqual(['off', 'on', 'off']);
  });
});

describe('commands', () => {
  it('switches by the wanted state; automations by enabling and disabling', () => {
    expect(switchCommand(entity({ domain: 'switch' }), true)).toEqual({ action: 'turn_on' });
    expect(switchCommand(entity({ domain: 'fan' }), false)).toEqual({ action: 'turn_off' });
    expect(switchCommand(entity({ domain: 'automation' }), false)).toEqual({ action: 'disable_automation' });
    expect(switchCommand(entity({ domain: 'automation' }), true)).toEqual({ action: 'enable_automation' });
  });

  it('sends a brightness as posey-home’s {percent}, whole from 0 to 100', () => {
    expect(brightnessCommand(40)).toEqual({ ok: true, value: { action: 'turn_on', brightness: { percent: 40 } } });
    expect(brightnessCommand('0')).toEqual({ ok: true, value: { action: 'turn_on', brightness: { percent: 0 } } });
    expect(brightnessCommand('100')).toMatchObject({ ok: true });
    for (const bad of [101, -1, 12.5, '', 'x']) expect(brightnessCommand(bad)).toEqual({ ok: false, error: 'The brightness must be a whole number from 0 to 100 %.' });
  });

  it('sends a temperature as posey-home’s {single}, refusing what is not one or out of range', () => {
    expect(temperatureCommand('21.5')).toEqual({ ok: true, value: { action: 'set_temperature', target: { single: 21.5 } } });
    expect(temperatureCommand(' 19,5 ')).toEqual({ ok: true, value: { action: 'set_temperature', target: { single: 19.5 } } });
    expect(temperatureCommand('-30')).toMatchObject({ ok: true });
    expect(temperatureCommand('60')).toMatchObject({ ok: true });
    expect(temperatureCommand('')).toEqual({ ok: false, error: 'Enter the temperature to set.' });
    expect(temperatureCommand('warm')).toEqual({ ok: false, error: '“warm” is not a temperature.' });
    expect(temperatureCommand('1e2')).toEqual({ ok: false, error: '“1e2” is not a temperature.' });
    expect(temperatureCommand('60.5')).toEqual({ ok: false, error: 'The temperature must be from -30 to 60 °C.' });
    expect(temperatureCommand('-31')).toMatchObject({ ok: false });
  });

  it('sets only an HVAC mode the thermostat has', () => {
    expect(hvacModeCommand('heat', ['off', 'heat'])).toEqual({ ok: true, value: { action: 'set_hvac_mode', mode: 'heat' } });
    expect(hvacModeCommand('cool', ['off', 'heat'])).toEqual({ ok: false, error: 'This thermostat has no mode “cool”.' });
    expect(hvacModeCommand('eco', [])).toMatchObject({ ok: false });
  });

  it('arms and disarms with a code only when one was typed', () => {
    expect(alarmCommand('away', '')).toEqual({ action: 'alarm_arm', mode: 'away' });
    expect(alarmCommand('home', '1234')).toEqual({ action: 'alarm_arm', mode: 'home', code: '1234' });
    expect(alarmCommand('disarm', '')).toEqual({ action: 'alarm_disarm' });
    expect(alarmCommand('disarm', '0000')).toEqual({ action: 'alarm_disarm', code: '0000' });
    expect(withCode({ action: 'alarm_arm', mode: 'night', code: '1' }, '99')).toEqual({ action: 'alarm_arm', mode: 'night', code: '99' });
    expect(withCode({ action: 'alarm_disarm', code: '1' }, '')).toEqual({ action: 'alarm_disarm' });
    expect(withCode({ action: 'unlock' }, '99')).toEqual({ action: 'unlock' });
  });
});

describe('security commands ask first', () => {
  const door = entity({ entity_id: 'lock.front', domain: 'lock', name: 'Front door', security: true });
  const garage = entity({ entity_id: 'cover.garage', domain: 'cover', name: 'Garage door', device_class: 'garage', security: true });
  const alarm = entity({ entity_id: 'alarm_control_panel.home', domain: 'alarm_control_panel', name: 'Alarm', security: true });
  const automation = entity({ entity_id: 'automation.night', domain: 'automation', name: 'Night mode', security: true });

  it('asks for unlock, open, arm, disarm, opening a security cover and disabling an automation', () => {
    const asks: [Entity, Command][] = [
      [door, { action: 'unlock' }],
      [door, { action: 'open' }],
      [alarm, { action: 'alarm_arm', mode: 'away' }],
      [alarm, { action: 'alarm_disarm', code: '1' }],
      [garage, { action: 'open_cover' }],
      [garage, { action: 'set_cover_position', position: 10 }],
      [automation, { action: 'disable_automation' }],
      [automation, { action: 'turn_off' }],
    ];
    for (const [e, c] of asks) expect(needsConfirmation(e, c), `${e.entity_id} ${c.action}`).toBe(true);
  });

  it('does not ask to lock, close, stop or enable, nor anything on an entity that is not a security one', () => {
    const runs: [Entity, Command][] = [
      [door, { action: 'lock' }],
      [garage, { action: 'close_cover' }],
      [garage, { action: 'stop_cover' }],
      [garage, { action: 'set_cover_position', position: 0 }],
      [automation, { action: 'enable_automation' }],
      [entity({ domain: 'lock', security: false }), { action: 'unlock' }],
      [entity({ domain: 'cover', device_class: 'blind', security: false }), { action: 'open_cover' }],
      [entity({ security: false }), { action: 'turn_on' }],
    ];
    for (const [e, c] of runs) expect(needsConfirmation(e, c), `${e.entity_id} ${c.action}`).toBe(false);
  });

  it('asks in words naming the entity', () => {
    expect(confirmQuestion(door, { action: 'unlock' })).toBe('Unlock Front door?');
    expect(confirmQuestion(garage, { action: 'open_cover' })).toBe('Open Garage door?');
    expect(confirmQuestion(alarm, { action: 'alarm_arm', mode: 'away' })).toBe('Arm Alarm (away)?');
    expect(confirmQuestion(alarm, { action: 'alarm_disarm' })).toBe('Disarm Alarm?');
    expect(confirmQuestion(automation, { action: 'disable_automation' })).toBe('Switch off Night mode?');
  });
});

describe('what the companion may see and control', () => {
  const lamp = entity({ entity_id: 'light.desk', area_id: 'office' });

  it('reads entities, areas and hidden ones as posey-home does', () => {
    expect(entityExposure(NO_EXPOSURE, lamp)).toEqual({ sees: false, controls: false, areaSees: false, areaControls: false });
    expect(entityExposure(exposure({ visible_entities: ['light.desk'] }), lamp)).toMatchObject({ sees: true, controls: false });
    expect(entityExposure(exposure({ controllable_entities: ['light.desk'] }), lamp)).toMatchObject({ sees: true, controls: true });
    expect(entityExposure(exposure({ visible_areas: ['office'] }), lamp)).toMatchObject({ sees: true, controls: false, areaSees: true });
    expect(entityExposure(exposure({ controllable_areas: ['office'] }), lamp)).toEqual({ sees: true, controls: true, areaSees: true, areaControls: true });
    expect(entityExposure(exposure({ controllable_areas: ['office'], hidden_entities: ['light.desk'] }), lamp)).toMatchObject({ sees: false, controls: false });
    expect(entityExposure(exposure({ visible_areas: ['office'] }), { ...lamp, area_id: null })).toMatchObject({ sees: false });
  });

  it('controlling implies seeing; un-seeing takes control away too', () => {
    const controlled = setEntityExposure(NO_EXPOSURE, lamp, { sees: false, controls: true });
    expect(controlled).toEqual(exposure({ visible_entities: ['light.desk'], controllable_entities: ['light.desk'] }));
    const seen = setEntityExposure(controlled, lamp, { sees: true, controls: false });
    expect(seen).toEqual(exposure({ visible_entities: ['light.desk'] }));
    expect(setEntityExposure(controlled, lamp, { sees: false, controls: true })).toEqual(controlled);
    expect(setEntityExposure(controlled, lamp, { sees: false, controls: false })).toEqual(NO_EXPOSURE);
  });

  it('hides an entity its area shows, un-hides it when seen again, and keeps the area lists', () => {
    const start = exposure({ visible_areas: ['office', 'hall'], controllable_areas: ['hall'], visible_entities: ['switch.other'] });
    const hidden = setEntityExposure(start, lamp, { sees: false, controls: false });
    expect(hidden).toEqual({ ...start, hidden_entities: ['light.desk'] });
    expect(entityExposure(hidden, lamp).sees).toBe(false);
    const back = setEntityExposure(hidden, lamp, { sees: true, controls: false });
    expect(back.hidden_entities).toEqual([]);
    expect(back.visible_areas).toEqual(['office', 'hall']);
    expect(back.controllable_areas).toEqual(['hall']);
    expect(entityExposure(back, lamp).sees).toBe(true);
  });

  it('does not change the policy it was given', () => {
    const start = exposure({ visible_entities: ['light.a'] });
    setEntityExposure(start, lamp, { sees: true, controls: true });
    setAreaExposure(start, 'office', { sees: true, controls: true });
    expect(start).toEqual(exposure({ visible_entities: ['light.a'] }));
  });

  it('lets a whole area be seen or controlled, control implying sight, keeping the entity lists', () => {
    const start = exposure({ visible_entities: ['light.a'], hidden_entities: ['light.b'] });
    const all = setAreaExposure(start, 'office', { sees: false, controls: true });
    expect(all).toEqual({ ...start, visible_areas: ['office'], controllable_areas: ['office'] });
    expect(areaExposure(all, 'office')).toEqual({ sees: true, controls: true });
    const seeOnly = setAreaExposure(all, 'office', { sees: true, controls: false });
    expect(seeOnly).toEqual({ ...start, visible_areas: ['office'] });
    expect(setAreaExposure(seeOnly, 'office', { sees: false, controls: false })).toEqual(start);
    expect(areaExposure(exposure({ controllable_areas: ['office'] }), 'office')).toEqual({ sees: true, controls: true });
  });

  it('fills in the lists a policy lacks', () => {
    expect(normaliseExposure({ visible_entities: ['light.a'] })).toEqual(exposure({ visible_entities: ['light.a'] }));
    expect(normaliseExposure(null)).toEqual(NO_EXPOSURE);
  });

  it('marks an entity "always ask first" apart from what the companion sees and controls, and keeps the mark through other changes', () => {
    const opener = entity({ entity_id: 'switch.garage_opener', domain: 'switch', area_id: 'garage' });
    const start = exposure({ controllable_entities: ['switch.garage_opener'], visible_entities: ['switch.garage_opener'] });
    const marked = setAskFirst(start, opener, true);
    expect(marked).toEqual({ ...start, ask_first_entities: ['switch.garage_opener'] });
    expect(asksFirst(marked, opener)).toBe(true);
    expect(entityExposure(marked, opener)).toMatchObject({ sees: true, controls: true });
    // Seeing, controlling and whole areas change around the mark without dropping it.
    const seen = setEntityExposure(marked, opener, { sees: true, controls: false });
    expect(seen.ask_first_entities).toEqual(['switch.garage_opener']);
    expect(setAreaExposure(seen, 'garage', { sees: true, controls: true }).ask_first_entities).toEqual(['switch.garage_opener']);
    expect(normaliseExposure(marked).ask_first_entities).toEqual(['switch.garage_opener']);
    expect(setAskFirst(marked, opener, false)).toEqual(start);
    expect(asksFirst(start, opener)).toBe(false);
  });
});

describe('connections', () => {
  it('makes a Home Assistant body, trimmed', () => {
    const form = { ...blankConnection(), name: ' Home ', url: ' http://ha.local:8123 ', token: ' abc.def ' };
    expect(connectionBody(form)).toEqual({ body: { kind: 'home_assistant', name: 'Home', url: 'http://ha.local:8123', token: 'abc.def' } });
  });

  it('needs Home Assistant’s name, address and token, each under its field', () => {
    const built = connectionBody(blankConnection());
    expect('errors' in built && Object.keys(built.errors).sort()).toEqual(['name', 'token', 'url']);
    const wrong = connectionBody({ ...blankConnection(), name: 'Home', url: 'ha.local', token: 't' });
    expect(wrong).toEqual({ errors: { url: ['Enter the whole address, like http://homeassistant.local:8123.'] } });
    const scheme = connectionBody({ ...blankConnection(), name: 'Home', url: 'ftp://ha.local', token: 't' });
    expect('errors' in scheme && scheme.errors.url?.[0]).toMatch(/^The address must start with http:\/\//);
    expect(connectionBody({ ...blankConnection(), name: 'x'.repeat(101), url: 'https://ha.example', token: 't' })).toEqual({ errors: { name: ['The name can be at most 100 characters.'] } });
  });

  it('makes an MQTT body: the broker address and password only when given, the default prefix, no zigbee2mqtt as null', () => {
    expect(connectionBody({ ...blankConnection('mqtt'), name: 'Zigbee', discovery_prefix: '' })).toEqual({
      body: { kind: 'mqtt', name: 'Zigbee', discovery_prefix: 'homeassistant', zigbee2mqtt_base: null },
    });
    expect(connectionBody({ kind: 'mqtt', name: 'Zigbee', url: 'mqtts://broker:8883', token: ' secret ', discovery_prefix: 'ha', zigbee2mqtt_base: 'z2m' })).toEqual({
      body: { kind: 'mqtt', name: 'Zigbee', url: 'mqtts://broker:8883', token: ' secret ', discovery_prefix: 'ha', zigbee2mqtt_base: 'z2m' },
    });
  });

  it('refuses an MQTT address of another scheme and topics with wildcards', () => {
    const built = connectionBody({ kind: 'mqtt', name: 'Zigbee', url: 'http://broker', token: '', discovery_prefix: 'home/#', zigbee2mqtt_base: '/z2m' });
    expect('errors' in built && Object.keys(built.errors).sort()).toEqual(['discovery_prefix', 'url', 'zigbee2mqtt_base']);
  });

  it('puts agents’ 422 under the fields it names, the rest under the form', () => {
    expect(apiFieldErrors({ token: ['was refused by Home Assistant'], url: ['cannot be reached'], other: ['is odd'] }, CONNECTION_FIELDS)).toEqual({
      token: ['was refused by Home Assistant'],
      url: ['cannot be reached'],
      form: ['other is odd'],
    });
    expect(apiFieldErrors({}, CONNECTION_FIELDS, 'Bad')).toEqual({ form: ['Bad'] });
    // Agents names a watch's window times `window.start` / `window.end`: shown under the window.
    expect(apiFieldErrors({ 'window.start': ['"25:00" is not a time as HH:MM'] }, WATCH_FIELDS)).toEqual({ window: ['"25:00" is not a time as HH:MM'] });
  });
});

describe('watches', () => {
  const form = { ...blankWatch('binary_sensor.front_door'), name: ' Front door at night ', to: ' on ' };

  it('makes a watch body, leaving out the empty optional parts', () => {
    expect(watchBody(form)).toEqual({ body: { entity_id: 'binary_sensor.front_door', name: 'Front door at night', to: 'on' } });
    expect(watchBody({ ...form, from: 'off', start: '23:00', end: '06:00' })).toEqual({
      body: { entity_id: 'binary_sensor.front_door', name: 'Front door at night', to: 'on', from: 'off', window: { start: '23:00', end: '06:00' } },
    });
  });

  it('says what is missing or wrong, by field', () => {
    expect(watchBody(blankWatch())).toEqual({
      errors: {
        entity_id: ['Choose what to watch.'],
        name: ['Give the watch a name: the notification is titled with it.'],
        to: ['Enter the state to watch for (on, open, unlocked, …).'],
      },
    });
    expect(watchBody({ ...form, start: '23:00' })).toEqual({ errors: { window: ['Give both the start and the end of the time window, or neither.'] } });
    expect(watchBody({ ...form, start: '24:00', end: '06:00' })).toEqual({ errors: { window: ['The times must be HH:MM (23:00).'] } });
    expect(watchBody({ ...form, start: '06:00', end: '06:00' })).toEqual({ errors: { window: ['The window must not start and end at the same time.'] } });
  });

  it('says a watch in words', () => {
    expect(watchWords({ from: 'off', to: 'on', window: { start: '23:00:00', end: '06:00:00' }, threshold: null }, 'Front door')).toBe('Front door off → on, between 23:00 and 06:00');
    expect(watchWords({ from: null, to: 'open', window: null, threshold: null }, 'Garage')).toBe('Garage becomes open');
  });
});

describe('activity', () => {
  const entry = (over: Partial<AuditEntry>): AuditEntry => ({
    id: 'a1',
    at: '2026-12-06T13:05:00Z',
    actor: 'person',
    agent: null,
    entity_id: 'light.kitchen',
    command: 'turn_on',
    parameters: {},
    outcome: 'done',
    error: null,
    state_after: 'on',
    ...over,
  });

  it('names who did it', () => {
    expect(actorLabel(entry({}))).toBe('You');
    expect(actorLabel(entry({ actor: 'agent', agent: 'Posey' }))).toBe('Posey');
    expect(actorLabel(entry({ actor: 'agent', agent: null }))).toBe('The companion');
    expect(actorLabel(entry({ actor: 'automation' }))).toBe('An automation');
  });

  it('says what was done with its values', () => {
    expect(auditWhat(entry({ parameters: { brightness: { percent: 40 } } }), 'Kitchen')).toBe('Turn on Kitchen (brightness 40 %)');
    expect(auditWhat(entry({ command: 'set_temperature', parameters: { target: { single: 21.5 } } }), 'Hall')).toBe('Set the temperature Hall (21.5 °C)');
    expect(auditWhat(entry({ command: 'alarm_arm', parameters: { mode: 'away' } }), 'Alarm')).toBe('Arm Alarm (away)');
    expect(auditWhat(entry({ command: 'unlock', entity_id: 'lock.front' }))).toBe('Unlock lock.front');
    expect(auditWhat(entry({ command: 'something_new' }))).toBe('something new light.kitchen');
  });

  it('orders newest first and words the outcome', () => {
    const sorted = newestFirst([entry({ id: 'old', at: '2026-12-05T10:00:00Z' }), entry({ id: 'new', at: '2026-12-06T10:00:00+01:00' }), entry({ id: 'mid', at: '2026-12-06T08:00:00Z' })]);
    expect(sorted.map((e) => e.id)).toEqual(['new', 'mid', 'old']);
    expect(outcomeLabel('awaiting_confirmation')).toBe('Waiting for you');
    expect(outcomeLabel('refused')).toBe('Refused');
  });

  it('shows the time in the person’s zone', () => {
    expect(instantLabel('2026-12-06T13:05:00Z', 'Europe/Berlin')).toBe('6 Dec 2026, 14:05');
    expect(instantLabel('2026-07-01T23:30:00Z', 'America/New_York')).toBe('1 Jul 2026, 19:30');
    expect(instantLabel('not a time', 'UTC')).toBe('not a time');
  });
});

// The Home page's components rendered to markup as the server renders them: the empty state,
// connections with their status and error, devices under their areas with the controls of their
// domain (disabled when unavailable), the companion's checkboxes, and the activity newest first.

import { createElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';

vi.mock('next/navigation', () => ({ useRouter: () => ({ refresh: () => {} }), usePathname: () => '/home' }));

import { ConfirmCommand } from '@/components/home/devices';
import { HomePage, type HomeData, type HomeProblems } from '@/components/home/home-page';
import { NO_EXPOSURE, type Connection, type Entity } from '@/lib/home';

const html = <P extends object>(type: (props: P) => ReactNode, props: P) => renderToStaticMarkup(createElement(type, props));
const text = (markup: string) =>
  markup
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&#x27;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();

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

const connection: Connection = { id: 'c1', kind: 'home_assistant', name: 'Home', url: 'http://ha.local:8123', status: 'disconnected', last_error: 'The token was refused', entities: 3, created_at: '2026-12-01T00:00:00Z' };
const none: HomeProblems = { entities: null, exposure: null, audit: null, watches: null };
const data = (over: Partial<HomeData>): HomeData => ({ connections: [connection], areas: [], entities: [], exposure: NO_EXPOSURE, audit: [], watches: [], ...over });

/** The markup of the element whose `data-entity-id` is `id`. */
function card(markup: string, id: string): string {
  const start = markup.indexOf(`data-entity-id="${id}"`);
  expect(start).toBeGreaterThan(-1);
  return markup.slice(start, markup.indexOf('</li>', start));
}

describe('the Home page', () => {
  it('explains what to connect when nothing is, and offers the form', () => {
    const markup = html(HomePage, { initial: data({ connections: [] }), problems: none, zone: 'UTC' });
    expect(text(markup)).toContain('Connect your home');
    expect(text(markup)).toContain('long-lived access token');
    expect(markup).toContain('type="password"');
    expect(text(markup)).not.toContain('Devices');
  });

  it('lists a connection with its status, error and entity count', () => {
    const words = text(html(HomePage, { initial: data({}), problems: none, zone: 'UTC' }));
    expect(words).toContain('Home · Home Assistant');
    expect(words).toContain('The token was refused');
    expect(words).toContain('Disconnected');
    expect(words).toContain('3 entities');
    expect(words).not.toContain('Connect your home');
  });

  it('shows the devices by area, "No area" last, with their domain’s controls', () => {
    const markup = html(HomePage, {
      initial: data({
        areas: [
          { area_id: 'kitchen', name: 'Kitchen' },
          { area_id: 'hall', name: 'Hall' },
        ],
        entities: [
          entity({ state: 'on', attributes: { brightness: 102 } }),
          entity({ entity_id: 'lock.front', domain: 'lock', name: 'Front door', area_id: 'hall', state: 'locked', security: true }),
          entity({ entity_id: 'climate.hall', domain: 'climate', name: 'Thermostat', area_id: 'hall', state: 'heat', attributes: { temperature: 21, hvac_modes: ['off', 'heat'] } }),
          entity({ entity_id: 'alarm_control_panel.home', domain: 'alarm_control_panel', name: 'Alarm', area_id: null, area: null, device: 'Alarm panel', state: 'disarmed', security: true }),
          entity({ entity_id: 'sensor.porch', domain: 'sensor', name: 'Porch temperature', area_id: null, area: null, device: 'Weather station', state: '4.5', attributes: { unit_of_measurement: '°C' } }),
          entity({ entity_id: 'switch.kettle', domain: 'switch', name: 'Kettle', area_id: 'kitchen', state: 'unavailable' }),
        ],
      }),
      problems: none,
      zone: 'UTC',
    });
    const words = text(markup);
    expect(words.indexOf('Hall')).toBeLessThan(words.indexOf('Kitchen'));
    expect(words.indexOf('Kitchen')).toBeLessThan(words.indexOf('No area'));
    expect(card(markup, 'light.kitchen')).toContain('type="range"');
    expect(text(card(markup, 'light.kitchen'))).toContain('on · 40 %');
    expect(text(card(markup, 'lock.front'))).toMatch(/Lock .*Unlock/);
    expect(card(markup, 'climate.hall')).toContain('type="number"');
    expect(card(markup, 'climate.hall')).toContain('<select');
    expect(card(markup, 'alarm_control_panel.home')).toContain('type="password"');
    expect(text(card(markup, 'alarm_control_panel.home'))).toMatch(/Arm home .*Arm away .*Disarm/);
    // Devices in no area are told apart by their device; one named as its device does not repeat it.
    expect(text(card(markup, 'sensor.porch'))).toContain('Weather station');
    expect(text(card(markup, 'sensor.porch'))).toContain('4.5 °C');
    expect(card(markup, 'alarm_control_panel.home')).toContain('data-testid="entity-device"');
    expect(card(markup, 'light.kitchen')).not.toContain('data-testid="entity-device"');
    const kettle = card(markup, 'switch.kettle');
    expect(text(kettle)).toContain('unavailable');
    expect(kettle).toMatch(/role="switch"[^>]*disabled=""/);
    expect(text(markup)).toContain('Companion sees');
    expect(text(markup)).toContain('Companion may see all of Kitchen');
  });

  it('ticks what the companion may see and control', () => {
    const markup = html(HomePage, {
      initial: data({ areas: [{ area_id: 'kitchen', name: 'Kitchen' }], entities: [entity({})], exposure: { ...NO_EXPOSURE, controllable_entities: ['light.kitchen'] } }),
      problems: none,
      zone: 'UTC',
    });
    const boxes = card(markup, 'light.kitchen').match(/<input type="checkbox" class="checkbox[^>]*>/g) ?? [];
    // Sees, controls, and "always ask first" (not ticked).
    expect(boxes).toHaveLength(3);
    expect(boxes.map((b) => b.includes('checked=""'))).toEqual([true, true, false]);
  });

  it('ticks "always ask first" for an entity the person marked, and says it asks first', () => {
    const opener = entity({ entity_id: 'switch.garage_opener', domain: 'switch', name: 'Garage opener' });
    const markup = html(HomePage, {
      initial: data({ areas: [{ area_id: 'kitchen', name: 'Kitchen' }], entities: [opener], exposure: { ...NO_EXPOSURE, controllable_entities: ['switch.garage_opener'], ask_first_entities: ['switch.garage_opener'] } }),
      problems: none,
      zone: 'UTC',
    });
    const card_ = card(markup, 'switch.garage_opener');
    const boxes = card_.match(/<input type="checkbox" class="checkbox[^>]*>/g) ?? [];
    expect(boxes.map((b) => b.includes('checked=""'))).toEqual([true, true, true]);
    expect(text(card_)).toContain('Always ask first for Garage opener');
    expect(text(card_)).toContain('asks first');
  });

  it('lists the activity newest first in the person’s zone', () => {
    const base = { entity_id: 'light.kitchen', command: 'turn_on', parameters: {}, error: null, state_after: 'on' } as const;
    const words = text(
      html(HomePage, {
        initial: data({
          entities: [entity({})],
          audit: [
            { ...base, id: 'a', at: '2026-12-06T08:00:00Z', actor: 'person', agent: null, outcome: 'done' },
            { ...base, id: 'b', at: '2026-12-06T09:00:00Z', actor: 'agent', agent: 'Posey', outcome: 'refused', error: 'Not allowed' },
          ],
        }),
        problems: none,
        zone: 'Europe/Berlin',
      }),
    );
    expect(words).toContain('6 Dec 2026, 10:00 Posey Turn on Kitchen Refused Not allowed on');
    expect(words.indexOf('10:00 Posey')).toBeLessThan(words.indexOf('09:00 You'));
  });

  it('asks before a security command in a dialog, with the alarm code field only for the alarm', () => {
    const noop = () => {};
    const unlock = html(ConfirmCommand, { entity: entity({ entity_id: 'lock.front', domain: 'lock', name: 'Front door', security: true }), command: { action: 'unlock' }, onCancel: noop, onConfirm: noop });
    expect(unlock).toMatch(/<dialog[^>]*aria-labelledby="([^"]+)"[\s\S]*id="\1"[^>]*>Unlock Front door\?</);
    expect(unlock).not.toContain('type="password"');
    expect(text(unlock)).toMatch(/Cancel Unlock/);
    const disarm = html(ConfirmCommand, { entity: entity({ entity_id: 'alarm_control_panel.home', domain: 'alarm_control_panel', name: 'Alarm', security: true }), command: { action: 'alarm_disarm', code: '12' }, onCancel: noop, onConfirm: noop });
    expect(text(disarm)).toContain('Disarm Alarm?');
    expect(disarm).toMatch(/type="password"[^>]*value="12"/);
  });
});

'use client';
// One entity's controls, fitting its domain: a light's switch and brightness, a switch's or fan's
// toggle, a thermostat's target and mode, a cover's open/close/stop, a lock, an alarm panel (with
// its code), a media player's play/pause, a scene or script. Each builds its Command with
// lib/home.ts and hands it to `send`, which asks first when it is a security command.

import { useId, useState } from 'react';

import {
  ALARM_MODES,
  alarmCommand,
  brightnessCommand,
  brightnessPercent,
  controlKind,
  entityName,
  HVAC_LABELS,
  hvacModeCommand,
  hvacModes,
  isUnavailable,
  switchCommand,
  targetTemperature,
  temperatureCommand,
  type AlarmMode,
  type Command,
  type Entity,
} from '@/lib/home';

export type Send = (entity: Entity, command: Command) => void;

function Switch({ entity, on, disabled, send, label }: { entity: Entity; on: boolean; disabled: boolean; send: Send; label: string }) {
  return (
    <label className="flex items-center gap-2">
      <input type="checkbox" role="switch" className="toggle toggle-primary" checked={on} disabled={disabled} onChange={(e) => send(entity, switchCommand(entity, e.target.checked))} />
      <span className="text-sm">
        {label}
        <span className="sr-only"> {entityName(entity)}</span>
      </span>
    </label>
  );
}

function Brightness({ entity, disabled, send }: { entity: Entity; disabled: boolean; send: Send }) {
  const id = useId();
  const current = brightnessPercent(entity) ?? 0;
  // While dragging the slider shows where it is; it is sent when let go.
  const [dragging, setDragging] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const value = dragging ?? current;
  const commit = () => {
    if (dragging === null) return;
    const percent = dragging;
    setDragging(null);
    if (percent === current && entity.state === 'on') return;
    const built = brightnessCommand(percent);
    if (!built.ok) {
      setProblem(built.error);
      return;
    }
    setProblem(null);
    send(entity, built.value);
  };
  return (
    <div className="flex min-w-48 flex-1 flex-col gap-1">
      <label htmlFor={`${id}-range`} className="text-sm">
        Brightness <span className="sr-only">of {entityName(entity)}</span>
        <output htmlFor={`${id}-range`} className="ml-1 tabular-nums">
          {value} %
        </output>
      </label>
      <input
        id={`${id}-range`}
        type="range"
        className="range range-sm"
        min={0}
        max={100}
        step={1}
        value={value}
        disabled={disabled}
        aria-valuetext={`${value} %`}
        onChange={(e) => setDragging(Number(e.target.value))}
        onPointerUp={commit}
        onKeyUp={commit}
        onBlur={commit}
      />
      {problem && <p className="text-sm text-error">{problem}</p>}
    </div>
  );
}

function Climate({ entity, disabled, send }: { entity: Entity; disabled: boolean; send: Send }) {
  const id = useId();
  const target = targetTemperature(entity);
  const [text, setText] = useState(target === null ? '' : String(target));
  const [problem, setProblem] = useState<string | null>(null);
  const modes = hvacModes(entity);
  const name = entityName(entity);
  return (
    <div className="flex flex-wrap items-end gap-3">
      <form
        className="flex flex-col gap-1"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const built = temperatureCommand(text);
          if (!built.ok) {
            setProblem(built.error);
            return;
          }
          setProblem(null);
          send(entity, built.value);
        }}
      >
        <label htmlFor={`${id}-temp`} className="text-sm">
          Target temperature (°C) <span className="sr-only">of {name}</span>
        </label>
        <div className="join">
          <input
            id={`${id}-temp`}
            className="input input-sm join-item w-24"
            type="number"
            step={0.5}
            min={-30}
            max={60}
            inputMode="decimal"
            value={text}
            disabled={disabled}
            onChange={(e) => setText(e.target.value)}
            {...(problem ? { 'aria-invalid': true, 'aria-describedby': `${id}-temp-error` } : {})}
          />
          <button type="submit" className="btn btn-sm join-item" disabled={disabled}>
            Set
          </button>
        </div>
        {problem && (
          <p id={`${id}-temp-error`} className="text-sm text-error">
            {problem}
          </p>
        )}
      </form>
      {modes.length > 0 && (
        <label className="flex flex-col gap-1">
          <span className="text-sm">
            Mode <span className="sr-only">of {name}</span>
          </span>
          <select
            className="select select-sm w-36"
            value={(modes as string[]).includes(entity.state) ? entity.state : ''}
            disabled={disabled}
            onChange={(e) => {
              const built = hvacModeCommand(e.target.value, modes);
              if (built.ok) send(entity, built.value);
              else setProblem(built.error);
            }}
          >
            {!(modes as string[]).includes(entity.state) && (
              <option value="" disabled>
                {entity.state}
              </option>
            )}
            {modes.map((m) => (
              <option key={m} value={m}>
                {HVAC_LABELS[m]}
              </option>
            ))}
          </select>
        </label>
      )}
    </div>
  );
}

function Buttons({ entity, disabled, send, items }: { entity: Entity; disabled: boolean; send: Send; items: { label: string; command: Command; current?: boolean }[] }) {
  const name = entityName(entity);
  return (
    <div className="flex flex-wrap gap-1">
      {items.map((item) => (
        <button key={item.label} type="button" className="btn btn-sm" disabled={disabled || item.current} aria-label={`${item.label} ${name}`} onClick={() => send(entity, item.command)}>
          {item.label}
        </button>
      ))}
    </div>
  );
}

const ALARM_WORDS: Record<AlarmMode, string> = { home: 'Arm home', away: 'Arm away', night: 'Arm night', vacation: 'Arm vacation' };

function Alarm({ entity, disabled, send }: { entity: Entity; disabled: boolean; send: Send }) {
  const id = useId();
  const [code, setCode] = useState('');
  // Home and away always; night and vacation when the panel says it has them.
  const features = typeof entity.attributes.supported_features === 'number' ? entity.attributes.supported_features : 0;
  const modes = ALARM_MODES.filter((m) => m === 'home' || m === 'away' || (m === 'night' && features & 4) || (m === 'vacation' && features & 32));
  return (
    <div className="flex flex-wrap items-end gap-2">
      <label className="flex flex-col gap-1">
        <span className="text-sm">
          Code (optional) <span className="sr-only">for {entityName(entity)}</span>
        </span>
        <input id={`${id}-code`} className="input input-sm w-32" type="password" autoComplete="off" inputMode="numeric" value={code} disabled={disabled} onChange={(e) => setCode(e.target.value)} />
      </label>
      <Buttons
        entity={entity}
        disabled={disabled}
        send={(e, c) => {
          send(e, c);
          setCode('');
        }}
        items={[...modes.map((m) => ({ label: ALARM_WORDS[m], command: alarmCommand(m, code), current: entity.state === `armed_${m}` })), { label: 'Disarm', command: alarmCommand('disarm', code), current: entity.state === 'disarmed' }]}
      />
    </div>
  );
}

/** The controls for `entity`, or nothing for one that only reports (a sensor). */
export function EntityControls({ entity, busy, send }: { entity: Entity; busy: boolean; send: Send }) {
  const disabled = busy || isUnavailable(entity);
  const on = entity.state === 'on';
  switch (controlKind(entity.domain)) {
    case 'light':
      return (
        <div className="flex flex-wrap items-center gap-4">
          <Switch entity={entity} on={on} disabled={disabled} send={send} label="On" />
          <Brightness key={entity.last_updated} entity={entity} disabled={disabled} send={send} />
        </div>
      );
    case 'toggle':
      return <Switch entity={entity} on={on} disabled={disabled} send={send} label="On" />;
    case 'automation':
      return <Switch entity={entity} on={on} disabled={disabled} send={send} label="Enabled" />;
    case 'climate':
      return <Climate key={entity.last_updated} entity={entity} disabled={disabled} send={send} />;
    case 'cover':
      return (
        <Buttons
          entity={entity}
          disabled={disabled}
          send={send}
          items={[
            { label: 'Open', command: { action: 'open_cover' }, current: entity.state === 'open' },
            { label: 'Close', command: { action: 'close_cover' }, current: entity.state === 'closed' },
            { label: 'Stop', command: { action: 'stop_cover' } },
          ]}
        />
      );
    case 'lock':
      return (
        <Buttons
          entity={entity}
          disabled={disabled}
          send={send}
          items={[
            { label: 'Lock', command: { action: 'lock' }, current: entity.state === 'locked' },
            { label: 'Unlock', command: { action: 'unlock' }, current: entity.state === 'unlocked' },
          ]}
        />
      );
    case 'alarm':
      return <Alarm entity={entity} disabled={disabled} send={send} />;
    case 'media':
      return entity.state === 'playing' ? (
        <Buttons entity={entity} disabled={disabled} send={send} items={[{ label: 'Pause', command: { action: 'media_pause' } }]} />
      ) : (
        <Buttons entity={entity} disabled={disabled} send={send} items={[{ label: 'Play', command: { action: 'media_play' } }]} />
      );
    case 'scene':
      return <Buttons entity={entity} disabled={disabled} send={send} items={[{ label: 'Activate', command: { action: 'activate_scene' } }]} />;
    case 'script':
      return <Buttons entity={entity} disabled={disabled} send={send} items={[{ label: 'Run', command: { action: 'run_script' } }]} />;
    default:
      return null;
  }
}

// The devices of the home browser tests: ha-mqtt-discoverable's light, switch, lock and
// temperature sensor (posey-testkit's mqtt_devices.py) as a child process on the test broker.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { expect } from 'vitest';

const SCRIPT = join(import.meta.dirname, '..', '..', '..', 'crates', 'posey-testkit', 'python', 'mqtt_devices.py');

export const TEMPERATURE = 'sensor.posey_test_rig_living_room_temperature';
export const LAMP = 'light.posey_test_rig_desk_lamp';
export const DOOR = 'lock.posey_test_rig_front_door';
/** The four entities' names, as the page lists them. */
export const NAMES = ['Coffee maker', 'Desk lamp', 'Front door', 'Living room temperature'];

export function required(name: string, why: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`${name} is not set: ${why} (./scripts/test sets it; or source a file like /work/dev-test.env)`);
  return value;
}

/**
 * The devices (a light, a switch, a lock, a temperature sensor) announced under `prefix`, as a
 * child process: every line they print is kept, so a test can wait for one and see what came
 * between.
 */
export class Devices {
  readonly lines: string[] = [];
  private exited: number | NodeJS.Signals | null = null;
  private readonly stderr: string[] = [];

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => this.lines.push(line));
    child.stderr.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    // `close`, not `exit`: a process can exit before its last lines are read ("bye" was lost so).
    child.once('close', (code, signal) => (this.exited = code ?? signal));
  }

  static async start(python: string, brokerUrl: string, prefix: string): Promise<Devices> {
    const broker = new URL(brokerUrl);
    const statePrefix = `hmd-e2e-${randomUUID().slice(0, 8)}`;
    const child = spawn(python, [SCRIPT, broker.hostname, broker.port || '1883', prefix, statePrefix], { stdio: ['pipe', 'pipe', 'pipe'] });
    const devices = new Devices(child);
    await devices.next('ready', 0);
    return devices;
  }

  /** The first line from index `from` on that starts with `prefix` (waits up to 15 s). */
  async next(prefix: string, from: number): Promise<string> {
    let found: string | undefined;
    await expect
      .poll(
        () => {
          found = this.lines.slice(from).find((l) => l.startsWith(prefix));
          if (found !== undefined) return true;
          if (this.exited !== null) throw new Error(`the devices exited (${this.exited}) before saying ${prefix}: ${this.stderr.join('')}`);
          return false;
        },
        { timeout: 15_000, message: `the devices never said ${prefix}…; they said ${JSON.stringify(this.lines.slice(from))}` },
      )
      .toBe(true);
    return found as string;
  }

  /** The commands the devices received from index `from` on. */
  commandsSince(from: number): string[] {
    return this.lines.slice(from).filter((l) => l.startsWith('command '));
  }

  /** Leaves, clearing what they retained on the broker. */
  async quit(): Promise<void> {
    if (this.exited !== null) return;
    const from = this.lines.length;
    this.child.stdin.write('quit\n');
    await this.next('bye', from);
    await expect.poll(() => this.exited, { timeout: 10_000 }).toBe(0);
  }

  /** Stops them if a failure left them running (only this test's own child). */
  kill(): void {
    if (this.exited === null) this.child.kill('SIGKILL');
  }
}

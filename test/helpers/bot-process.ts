import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import { until } from './sdk.js';

/** `bin/tinode bot` as a separate process, as a user runs it, with its log collected. */
export class BotProcess {
  readonly child: ChildProcess;
  log = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[], cwd: string) {
    this.child = spawn(process.execPath, [join(ROOT, 'bin', 'tinode'), 'bot', ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.log += d;
      if (process.env.TINODE_TEST_LOG) process.stderr.write(d);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  count(text: string): number {
    return this.log.split(text).length - 1;
  }

  async waitFor(text: string, times = 1, ms = 10_000): Promise<void> {
    await until(() => this.count(text) >= times, ms, `"${text}" ×${times} in the bot's log:\n${this.log}`);
  }
}

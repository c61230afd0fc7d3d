import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { FromWorker, LoadReport, OpenResult, ToWorker } from './protocol.js';
import { BENCH_DIR, cpuSeconds } from './targets.js';

/** The load-generator processes of one scenario, with request/reply over IPC. */
export class WorkerPool {
  private constructor(
    private readonly procs: ChildProcess[],
    private readonly queues: ((m: FromWorker) => void)[][],
  ) {}

  static async start(n: number): Promise<WorkerPool> {
    const procs: ChildProcess[] = [];
    const queues: ((m: FromWorker) => void)[][] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const p = fork(join(BENCH_DIR, 'worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const q: ((m: FromWorker) => void)[] = [];
      procs.push(p);
      queues.push(q);
      ready.push(
        new Promise((resolve, reject) => {
          p.once('exit', (code) => reject(new Error(`load worker ${i} exited with ${code}`)));
          p.on('message', (m: FromWorker) => {
            if (m.type === 'ready') {
              resolve();
              return;
            }
            const w = q.shift();
            if (w) w(m);
          });
        }),
      );
    }
    await Promise.all(ready);
    for (const p of procs) p.removeAllListeners('exit');
    return new WorkerPool(procs, queues);
  }

  get size(): number {
    return this.procs.length;
  }

  /** Sends one message to worker `i` and waits for its answer. */
  ask(i: number, m: ToWorker): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const p = this.procs[i]!;
      const onExit = (code: number | null) => reject(new Error(`load worker ${i} exited with ${code}`));
      p.once('exit', onExit);
      this.queues[i]!.push((r) => {
        p.off('exit', onExit);
        if (r.type === 'error') reject(new Error(`load worker ${i}: ${r.message}`));
        else resolve(r);
      });
      p.send(m);
    });
  }

  all(m: ToWorker | ((i: number) => ToWorker)): Promise<FromWorker[]> {
    return Promise.all(this.procs.map((_, i) => this.ask(i, typeof m === 'function' ? m(i) : m)));
  }

  async open(m: (i: number) => ToWorker): Promise<OpenResult[]> {
    return (await this.all(m)) as OpenResult[];
  }

  async report(): Promise<LoadReport[]> {
    return (await this.all({ type: 'report' })) as LoadReport[];
  }

  /** Closes every session, keeping the processes for the next scenario. */
  async reset(): Promise<void> {
    await this.all({ type: 'reset' });
  }

  /** CPU seconds the workers have used so far. */
  cpu(): number {
    return this.procs.reduce((a, p) => a + (p.pid ? cpuSeconds(p.pid) : 0), 0);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.procs.map(async (p, i) => {
        const exited = new Promise<void>((resolve) => (p.exitCode !== null ? resolve() : p.once('exit', () => resolve())));
        try {
          await Promise.race([this.ask(i, { type: 'close' }), exited]);
        } catch {
          // gone already
        }
        const t = setTimeout(() => p.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }),
    );
  }
}

import { appendFileSync } from 'node:fs';
import { Control, type ControlReport } from './control.js';
import { FuzzSlot, type SlotEnv } from './driver.js';
import { Findings } from './findings.js';
import { plan } from './plan.js';
import { Rng } from './rng.js';
import { FuzzServer, RssSampler } from './server-process.js';
import { CONTROL_LOGINS, FUZZ_LOGINS, learnWorld } from './setup.js';
import { TopicWatch, type TopicWatchReport } from './topic-watch.js';
import type { World } from './world.js';

/**
 * One fuzzing run from start to end: `tinode serve` started as a child process, the world learned,
 * the control conversation and the topic watch started, every slot's frames sent, every session
 * left open probed, and everything measured on the way. What it found is judged by the caller.
 */

export interface RunOptions {
  seed: string;
  frames: number;
  /** Only these slots, when set. */
  only?: string[] | undefined;
  /** A file to append every frame sent to. */
  trace?: string | undefined;
  /** A folder for the server's CPU profile. */
  cpuProfDir?: string | undefined;
  controlIntervalMs: number;
  topicHungMs: number;
  answerTimeoutMs: number;
  probeTimeoutMs: number;
}

export interface RunResult {
  srv: FuzzServer;
  world: World;
  slots: FuzzSlot[];
  findings: Findings;
  /** Failures of the known-good requests after the fuzzing. */
  probes: string[];
  control: ControlReport;
  topics: TopicWatchReport;
  watched: string[];
  rss: { before: number; peak: number; after: number };
  /** Milliseconds on the clock of `performance.now()`. */
  times: { started: number; serverStarted: number; fuzzStart: number; fuzzEnd: number; end: number };
  cpu: { server: number; fuzzer: number };
}

/** `max_message_size` of the default configuration, which the server runs with. */
const MAX_MESSAGE_SIZE = 131072;

/** Starts the server (the caller stops it: `onServer` hands it over as soon as it runs). */
export async function runFuzz(opts: RunOptions, onServer: (srv: FuzzServer) => void): Promise<RunResult> {
  const started = performance.now();
  const srv = await FuzzServer.start(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []);
  onServer(srv);
  const serverStarted = performance.now();
  const { world } = await learnWorld(srv.host, () => srv.log.head);
  const control = await Control.start(srv.host);
  const watch = await TopicWatch.start(srv.host, CONTROL_LOGINS, world.groups, FUZZ_LOGINS, opts.topicHungMs);
  const before = srv.rssMiB() ?? 0;
  const sampler = new RssSampler(() => srv.rssMiB());
  const findings = new Findings();
  const trace = opts.trace;
  const env: SlotEnv = {
    host: srv.host,
    grpcAddr: srv.grpcAddr,
    world,
    rng: new Rng(opts.seed),
    findings,
    maxMessageSize: MAX_MESSAGE_SIZE,
    answerTimeoutMs: opts.answerTimeoutMs,
    stopped: () => srv.exit !== null,
    trace: trace ? (f) => appendFileSync(trace, JSON.stringify(f) + '\n') : undefined,
  };
  const slots = plan(opts.frames, world)
    .filter((spec) => !opts.only || opts.only.includes(spec.name))
    .map((spec) => new FuzzSlot(spec, env));
  control.run(opts.controlIntervalMs);
  watch.run(1000);
  const fuzzStart = performance.now();
  const cpuStart = { server: srv.cpuSeconds() ?? 0, fuzzer: process.cpuUsage() };
  await Promise.race([Promise.all(slots.map((s) => s.run())), srv.exited]);
  const fuzzEnd = performance.now();
  const fuzzerCpu = process.cpuUsage(cpuStart.fuzzer);
  const cpu = { server: (srv.cpuSeconds() ?? cpuStart.server) - cpuStart.server, fuzzer: (fuzzerCpu.user + fuzzerCpu.system) / 1e6 };
  const probes = srv.exit ? [] : (await Promise.all(slots.map((s) => s.probe(opts.probeTimeoutMs)))).flat();
  const controlReport = await control.stop();
  const topics = watch.stop();
  sampler.stop();
  for (const s of slots) s.close();
  return {
    srv,
    world,
    slots,
    findings,
    probes,
    control: controlReport,
    topics,
    watched: watch.topics,
    rss: { before, peak: sampler.peak, after: srv.rssMiB() ?? 0 },
    times: { started, serverStarted, fuzzStart, fuzzEnd, end: performance.now() },
    cpu,
  };
}

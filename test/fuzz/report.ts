import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FuzzSlot } from './driver.js';
import type { RunResult } from './run.js';

/**
 * What a run prints: throughput and phases, each slot's sessions and how the server closed them,
 * memory, the control conversation, the topic watch, the findings and the server's warnings by
 * kind. The server's warnings with their stacks, and after a crash the frames in flight, go to
 * files in the temporary folder, named after the seed.
 */

const s1 = (ms: number) => (ms / 1000).toFixed(1);

function slotLine(s: FuzzSlot): string {
  const who = s.spec.role.kind === 'user' ? s.spec.role.user.login : s.spec.role.kind;
  const closes = s.closes.size > 0 ? `; closed by the server: ${[...s.closes].map(([k, n]) => `${k} ×${n}`).join(', ')}` : '';
  return `  ${s.spec.name} (${who}${s.spec.deflate ? ', deflate' : ''}): ${s.sent} frames in ${s1(s.durationMs)} s, ${s.bursts} bursts, ${s.replies} replies, ${s.generations} sessions${closes}`;
}

/** The users the server logged as deleted, sample users by name, with when (s into the fuzzing). */
function deletedUsers(r: RunResult): string {
  const names = new Map(r.world.users.map((u) => [u.uid, u.login]));
  return [...r.srv.log.kinds]
    .filter(([kind]) => kind.startsWith('INFO user '))
    .map(([kind, k]) => {
      const uid = /user (usr\S+)/.exec(kind)?.[1] ?? '';
      return `${names.get(uid) ?? uid} at ${s1(k.firstAt - r.times.fuzzStart)} s`;
    })
    .join(', ');
}

/** The report, as lines; writes the server's warnings (with stacks) next to it. */
export function report(seed: string, r: RunResult, rssBoundMiB: number): string[] {
  const { times, control: c, topics, rss } = r;
  const sent = r.slots.reduce((n, s) => n + s.sent, 0);
  const fuzzMs = times.fuzzEnd - times.fuzzStart;
  const logFile = join(tmpdir(), `tinode-fuzz-${seed}-log.txt`);
  writeFileSync(logFile, [...r.srv.log.kinds].map(([kind, k]) => `×${k.count} ${kind}\n${k.example}\n`).join('\n'));
  const hung = topics.hung.map((h) => `; ${h.topic} HUNG from ${s1(h.since - times.fuzzStart)} s into the fuzzing (trace clock ${h.since.toFixed(0)})`).join('');
  const ended = topics.ended.map((e) => `; the watch of ${e.topic} was ended by the server (${e.how}) ${s1(e.at - times.fuzzStart)} s into the fuzzing`).join('');
  return [
    `fuzz: seed ${seed}: ${sent} frames in ${s1(fuzzMs)} s (${Math.round(sent / (fuzzMs / 1000))}/s), whole test ${s1(times.end - times.started)} s`,
    `phases: server start ${s1(times.serverStarted - times.started)} s, setup ${s1(times.fuzzStart - times.serverStarted)} s, fuzzing ${s1(fuzzMs)} s, probes and control ${s1(times.end - times.fuzzEnd)} s`,
    `CPU during the fuzzing: server ${r.cpu.server.toFixed(1)} s, fuzzer ${r.cpu.fuzzer.toFixed(1)} s`,
    ...r.slots.map(slotLine),
    `server RSS: ${rss.before.toFixed(0)} MiB before, peak ${rss.peak.toFixed(0)} MiB (bound ${rssBoundMiB}), ${rss.after.toFixed(0)} MiB after`,
    `control: ${c.sent} sent, ${c.answered} answered (p50 ${c.answerMs.p50.toFixed(0)} ms, max ${c.answerMs.max.toFixed(0)} ms), ${c.delivered} delivered (p50 ${c.deliveryMs.p50.toFixed(0)} ms, max ${c.deliveryMs.max.toFixed(0)} ms), longest silence ${c.longestSilenceMs.toFixed(0)} ms`,
    `topic watch: ${topics.probes} probes of ${r.watched.length} topics; slowest answers (ms) ${JSON.stringify(topics.slowest)}${hung}${ended}`,
    `users deleted during the run: ${deletedUsers(r) || 'none'}`,
    `findings: ${r.findings.summary()}`,
    r.findings.format(),
    'server log (warnings and errors, by kind):',
    ...[...r.srv.log.kinds].map(([kind, k]) => `  ×${k.count} ${kind}`),
    ...(r.srv.log.warningsNotKept > 0 ? [`  (and ${r.srv.log.warningsNotKept} warnings of further kinds, counted only)`] : []),
    `(the server's warnings with examples and stacks: ${logFile})`,
  ];
}

/** After a crash: the frames in flight, shortened; in full in a file, for a replay. */
export function crashSuspects(seed: string, r: RunResult): string {
  const file = join(tmpdir(), `tinode-fuzz-${seed}-suspects.json`);
  writeFileSync(file, JSON.stringify(r.slots.flatMap((s) => s.suspectFrames())));
  const shown = r.slots.map((s) => s.inFlightFrames()).filter((x) => x !== '');
  return `frames in flight (in full in ${file}):\n${shown.join('\n')}`;
}

/**
 * Summarizes a V8 `.cpuprofile` (as written by `npm run bench -- --cpu-prof`): the functions with
 * the most self time, and the time spent under each source file of the project (inclusive).
 *
 *   node --import tsx test/bench/profile.ts FILE.cpuprofile [TOP] [--window FROM:TO]
 *
 * `--window A:B` keeps only the samples between A and B seconds after the process started (one
 * load phase, say; the bench log tells when each began).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
const windowAt = args.indexOf('--window');
const [fromS, toS] = (windowAt >= 0 ? args.splice(windowAt, 2)[1]! : '0:').split(':').map((v) => (v === '' || v === undefined ? NaN : Number(v)));
const file = args[0];
if (!file) {
  console.error('usage: profile.ts FILE.cpuprofile [TOP] [--window FROM:TO]');
  process.exit(2);
}
const top = Number(args[1] ?? 25);
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const self = new Map<number, number>();
// Sample times (µs from the start); with --window, samples outside it are left out.
const times: number[] = [];
prof.timeDeltas.reduce((t, d, i) => (times[i] = t + d), 0);
const from = Number.isNaN(fromS) ? -Infinity : fromS! * 1e6;
const to = Number.isNaN(toS) ? Infinity : toS! * 1e6;
prof.samples.forEach((id, i) => {
  if (times[i]! >= from && times[i]! < to) self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
const root = process.cwd();

function where(n: Node): string {
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  const short = url ? (url.startsWith(root) ? relative(root, url) : url.replace(/.*node_modules\//, '')) : '';
  return short ? `${short}:${n.callFrame.lineNumber + 1}` : '';
}

function area(n: Node): string {
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  if (!url) return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
  if (url.startsWith('node:')) return url.split('/')[0]!;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  return url.startsWith(root) ? relative(root, url) : url;
}

const pct = (v: number) => `${((v / total) * 100).toFixed(1).padStart(5)}%`;
const ms = (v: number) => `${(v / 1000).toFixed(0).padStart(7)} ms`;

// Self time by function.
const fn = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  const key = `${n.callFrame.functionName || '(anonymous)'}  ${where(n)}`;
  fn.set(key, (fn.get(key) ?? 0) + t);
}
console.log(`${file}: ${(total / 1e6).toFixed(1)} s of samples\n\nself time by function:`);
for (const [k, t] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)} ${ms(t)}  ${k}`);

// Self time by area (module or package).
const ar = new Map<string, number>();
for (const [id, t] of self) {
  const a = area(byId.get(id)!);
  ar.set(a, (ar.get(a) ?? 0) + t);
}
console.log('\nself time by file or package:');
for (const [k, t] of [...ar].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)} ${ms(t)}  ${k}`);

// Inclusive time by project file: a sample counts once for every project file on its stack.
const incl = new Map<string, number>();
for (const [id, t] of self) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const a = area(byId.get(cur)!);
    if (!a.includes('/') || seen.has(a) || a.startsWith('node:')) continue;
    seen.add(a);
    incl.set(a, (incl.get(a) ?? 0) + t);
  }
}
console.log('\ninclusive time by project file:');
for (const [k, t] of [...incl].filter(([k]) => !k.includes('node_modules') && !k.startsWith('/')).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)} ${ms(t)}  ${k}`);

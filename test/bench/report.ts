import type { Options } from './options.js';
import type { Figure, ScenarioResult } from './scenarios.js';

/** The terminal table and the checks against the issue's targets. */
export interface Check {
  target: string;
  measured: string;
  pass: boolean | null;
  note: string;
}

function fmt(f: Figure | undefined): string {
  if (!f || Number.isNaN(f.value)) return '-';
  const v = f.value;
  const digits = f.unit === 'ms' ? (v < 10 ? 2 : 1) : Math.abs(v) >= 100 || Number.isInteger(v) ? 0 : 1;
  return `${v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: f.unit === 'ms' ? digits : 0 })}${f.unit && f.unit !== '' ? ' ' + f.unit : ''}`;
}

function ratio(a: Figure | undefined, b: Figure | undefined): string {
  if (!a || !b || Number.isNaN(a.value) || Number.isNaN(b.value)) return '-';
  if (b.value === 0) return a.value === 0 ? '1.00×' : '-';
  return `${(a.value / b.value).toFixed(2)}×`;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

export function find(results: ScenarioResult[], scenario: string, target: string, transport: string, key: string): Figure | undefined {
  return results.find((r) => r.scenario === scenario && r.target === target && r.transport === transport)?.figures.find((f) => f.key === key);
}

export function renderTable(results: ScenarioResult[], checks: Check[], opts: Options): string {
  const lines: string[] = [];
  // Two columns and their ratio: Tinode against the relay, or the cluster against one node.
  const [ka, kb] = opts.cluster > 0 ? (['cluster', 'tinode'] as const) : (['tinode', 'relay'] as const);
  const [na, nb] = opts.cluster > 0 ? [`cluster of ${opts.cluster}`, 'one node'] : ['tinode', 'relay'];
  const nr = opts.cluster > 0 ? 'cluster/single' : 'tinode/relay';
  for (const transport of opts.transports) {
    for (const scenario of opts.scenarios) {
      const tin = results.find((r) => r.scenario === scenario && r.target === ka && r.transport === transport);
      const rel = results.find((r) => r.scenario === scenario && r.target === kb && r.transport === transport);
      const any = tin ?? rel;
      if (!any) {
        lines.push(`${scenario} (${transport}): no result`, '');
        continue;
      }
      const params = Object.entries(any.params)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      lines.push(`${scenario} (${transport}): ${params}`);
      lines.push(`  ${pad('figure', 34)}${pad(na, 16, true)}${pad(nb, 16, true)}${pad(nr, 16, true)}`);
      for (const f of any.figures) {
        const a = tin?.figures.find((x) => x.key === f.key);
        const b = rel?.figures.find((x) => x.key === f.key);
        lines.push(`  ${pad(f.label, 34)}${pad(fmt(a), 16, true)}${pad(fmt(b), 16, true)}${pad(f.better === 'none' ? '' : ratio(a, b), 16, true)}`);
      }
      for (const [r, name] of [[tin, na], [rel, nb]] as const) {
        if (r && typeof r.params.perNode === 'string') lines.push(`  ${name}: ${r.params.perNode}`);
      }
      for (const r of [tin, rel]) {
        if (r && r.errors.length > 0) lines.push(`  ${r.target} errors: ${r.errors.slice(0, 3).join('; ')}`);
      }
      lines.push('');
    }
  }
  if (checks.length > 0) {
    lines.push('targets:');
    for (const c of checks) {
      lines.push(`  [${c.pass === null ? ' - ' : c.pass ? 'met' : 'MISSED'}] ${c.target}: ${c.measured}${c.note ? ` (${c.note})` : ''}`);
    }
  }
  return lines.join('\n');
}

/** The three targets of the issue, judged on this run's figures (scaled runs say so). */
export function targetChecks(results: ScenarioResult[], opts: Options): Check[] {
  if (opts.cluster > 0) return clusterChecks(results, opts);
  const checks: Check[] = [];
  const t = opts.transports.includes('ws') ? 'ws' : opts.transports[0]!;
  const attached = find(results, 'sessions', 'tinode', t, 'attached');
  const failed = find(results, 'sessions', 'tinode', t, 'failed');
  const rss = find(results, 'sessions', 'tinode', t, 'rss');
  if (attached && rss && failed) {
    const full = attached.value >= 18000;
    checks.push({
      target: '18,000 concurrent sessions in one server within 1 GiB',
      measured: `${attached.value} attached, ${failed.value} failed, RSS ${rss.value.toFixed(0)} MiB`,
      pass: full ? failed.value === 0 && rss.value <= 1024 : null,
      // Small runs say little: the heap's first growth is spread over few sessions.
      note: full ? (rss.value <= 1024 ? '' : `${(rss.value - 1024).toFixed(0)} MiB over`) : 'scaled-down run: not judged',
    });
  }
  const gt = find(results, 'group', 'tinode', t, 'max_delivered_rate');
  const gr = find(results, 'group', 'relay', t, 'max_delivered_rate');
  const members = results.find((r) => r.scenario === 'group' && r.target === 'tinode' && r.transport === t)?.params.members;
  if (gt && gr) {
    const r = gt.value / gr.value;
    const full = typeof members === 'number' && members >= 1500;
    checks.push({
      target: 'a group of 1,500 attached sessions delivers at least half the relay rate',
      measured: `${Math.round(gt.value).toLocaleString('en-US')}/s vs ${Math.round(gr.value).toLocaleString('en-US')}/s = ${r.toFixed(2)} of the relay with ${members} members`,
      pass: full ? r >= 0.5 : null,
      note: full ? (r >= 0.5 ? '' : `${((0.5 - r) * gr.value).toFixed(0)}/s short`) : 'scaled-down run: not judged',
    });
  }
  const p99 = find(results, 'p2p', 'tinode', t, 'paced_p99');
  const prate = find(results, 'p2p', 'tinode', t, 'paced_delivered_rate');
  if (p99 && prate) {
    const full = opts.p2pRate >= 2000 && prate.value >= 1900;
    const db = opts.db && !opts.db.startsWith('sqlite:') ? opts.db.replace(/:\/\/.*$/, '') : 'SQLite';
    checks.push({
      target: `p2p publish-to-delivery p99 under 20 ms at 2,000 messages/s on ${db}`,
      measured: `p99 ${p99.value.toFixed(1)} ms at ${Math.round(prate.value)} delivered/s`,
      pass: full ? p99.value < 20 : opts.p2pRate >= 2000 ? false : null,
      note: full ? (p99.value < 20 ? '' : `${(p99.value - 20).toFixed(1)} ms over`) : opts.p2pRate >= 2000 ? 'the rate was not sustained' : 'run at a lower rate: not judged',
    });
  }
  return checks;
}

/** Issue 17's bench point: the cluster holds what one process cannot (50,000 sessions on 3 nodes). */
function clusterChecks(results: ScenarioResult[], opts: Options): Check[] {
  const checks: Check[] = [];
  const t = opts.transports.includes('ws') ? 'ws' : opts.transports[0]!;
  const held = find(results, 'sessions', 'cluster', t, 'node_live_sum');
  const failed = find(results, 'sessions', 'cluster', t, 'failed');
  const fds = find(results, 'sessions', 'cluster', t, 'node_fds_max');
  if (held && failed && fds) {
    const full = opts.sessions >= 50_000 && opts.cluster <= 3;
    checks.push({
      target: `50,000 sessions held by ${opts.cluster} nodes, each under the 20,000 open files of one process`,
      measured: `${held.value.toLocaleString('en-US')} held, ${failed.value} failed, at most ${fds.value.toLocaleString('en-US')} open files on a node`,
      pass: full ? held.value >= 50_000 && failed.value === 0 && fds.value < 20_000 : null,
      note: full ? '' : 'scaled-down run: not judged',
    });
  }
  const gc = find(results, 'group', 'cluster', t, 'max_delivered_rate');
  const gs = find(results, 'group', 'tinode', t, 'max_delivered_rate');
  if (gc && gs) {
    checks.push({
      target: `a group with members on all ${opts.cluster} nodes against the same group on one node`,
      measured: `${Math.round(gc.value).toLocaleString('en-US')}/s vs ${Math.round(gs.value).toLocaleString('en-US')}/s delivered = ${(gc.value / gs.value).toFixed(2)}× of one node`,
      pass: null,
      note: 'measured, no target',
    });
  }
  return checks;
}

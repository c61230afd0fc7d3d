import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderCycles, folderOf, PROJECT_ROOT, readImportGraph, type ImportEdge } from '../../helpers/import-graph.js';

/**
 * The layering of the code base as rules on the folder graph: a file in a folder matching `from`
 * must not import a file in a folder matching `to`. A pattern names a folder and everything under
 * it (`server/store` covers `server/store/sql`); `unless` lists folders `from` covers that the rule
 * does not apply to.
 */
interface LayerRule {
  from: string[];
  to: string[];
  unless?: string[];
  why: string;
}

const PRODUCTION = ['bin', 'src', 'server', 'cli', 'chatbot'];

const RULES: LayerRule[] = [
  { from: ['src'], to: ['server', 'cli', 'chatbot'], why: 'src/ is shared by every command; the server and the clients build on it, not the reverse' },
  { from: ['cli', 'chatbot'], to: ['server'], why: 'the clients talk to a server over the wire and must run without its code' },
  {
    from: ['server/topic'],
    to: ['server/session', 'server/hub', 'server/transport'],
    why: 'a topic sees Clients and its TopicEnv only, so it loads the same way on any node of a cluster',
  },
  { from: ['server/session'], to: ['server/topic', 'server/hub'], why: 'a session reaches topics through the router it is given, never their code' },
  { from: ['server/store'], to: ['server/topic', 'server/session'], why: 'the store is the bottom layer: it serves topics and sessions and knows neither' },
  { from: ['server/transport'], to: ['server/store'], why: 'transports only frame messages; what is stored is decided past the session' },
  {
    from: ['server'],
    to: ['server/index'],
    unless: ['server/commands'],
    why: 'server/index.ts is the composition root: it imports every part, only the command that starts the server imports it',
  },
  { from: PRODUCTION, to: ['test'], why: 'shipped code never depends on test code' },
];

/**
 * Folder edges that still close a cycle, each with the file import that makes it. This list may
 * only shrink: a test below fails when an entry no longer exists, so fixing one forces its removal.
 */
const KNOWN_CYCLE_EDGES: (Pick<ImportEdge, 'from' | 'to'> & { why: string })[] = [];

function covers(pattern: string, folder: string): boolean {
  return folder === pattern || folder.startsWith(`${pattern}/`);
}

/** Every import of `edges` that breaks a rule, as `file -> file (specifier): why`. */
function forbiddenImports(edges: readonly ImportEdge[], rules: readonly LayerRule[]): string[] {
  const found: string[] = [];
  for (const edge of edges) {
    const from = folderOf(edge.from);
    const to = folderOf(edge.to);
    if (from === to) continue;
    for (const rule of rules) {
      if (!rule.from.some((p) => covers(p, from)) || rule.unless?.some((p) => covers(p, from))) continue;
      if (!rule.to.some((p) => covers(p, to))) continue;
      found.push(`${edge.from} -> ${edge.to} (${edge.specifier}): ${rule.why}`);
    }
  }
  return found;
}

/** The folder cycles of `edges` once the known edges are set aside, one line per folder edge with its imports. */
function cycleReport(edges: readonly ImportEdge[]): string[][] {
  const known = new Set(KNOWN_CYCLE_EDGES.map((k) => `${k.from} ${k.to}`));
  const rest = edges.filter((e) => !known.has(`${e.from} ${e.to}`));
  return folderCycles(rest).map((cycle) =>
    cycle.edges.map((fe) => `${fe.from} -> ${fe.to}: ${fe.imports.map((i) => `${i.from} imports ${i.specifier}`).join(', ')}`),
  );
}

describe('import graph reader', () => {
  it('counts every form of import and nothing in comments or strings', () => {
    const root = mkdtempSync(join(tmpdir(), 'tinode-imports-'));
    try {
      mkdirSync(join(root, 'server', 'log'), { recursive: true });
      mkdirSync(join(root, 'node_modules', 'pkg'), { recursive: true });
      const files: Record<string, string> = {
        'server/log.ts': '',
        'server/index.ts': '',
        'server/log/index.ts': '',
        'node_modules/pkg/x.ts': "import '../../a.js';",
        'b.ts': '',
        'c.ts': '',
        'd.ts': '',
        'e.ts': '',
        'a.ts': [
          "import type { B } from './b.js';",
          "export { c } from './c.js';",
          "const d = await import('./d.js');",
          "type E = import('./e.js').E;",
          "import './server/log';",
          "import 'node:fs';",
          "// import './c.ts';",
          "const s = \"import x from './d.js'\";",
        ].join('\n'),
      };
      for (const [path, text] of Object.entries(files)) writeFileSync(join(root, path), text);
      const graph = readImportGraph(root);
      expect(graph.files).not.toContain('node_modules/pkg/x.ts');
      expect(graph.edges.map((e) => `${e.to} ${e.specifier}`)).toEqual([
        'b.ts ./b.js',
        'c.ts ./c.js',
        'd.ts ./d.js',
        'e.ts ./e.js',
        // As TypeScript resolves it: the file before the folder's index.
        'server/log.ts ./server/log',
      ]);
      // The composition root is a node of its own, not the folder `server`.
      expect(['server/log.ts', 'server/index.ts', 'server/log/index.ts', 'a.ts'].map(folderOf)).toEqual(['server', 'server/index', 'server/log', '.']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('import guard', () => {
  const graph = readImportGraph(PROJECT_ROOT);

  it('reads the whole project', () => {
    // Sanity: a broken walk or resolver would make every other test here pass vacuously.
    expect(graph.files).toContain('server/topic/group.ts');
    expect(graph.files).toContain('src/wire/replies.ts');
    expect(graph.files.some((f) => f.startsWith('node_modules/') || f.startsWith('dist/'))).toBe(false);
    expect(graph.edges).toContainEqual({ from: 'server/store/store.ts', to: 'server/store/registry.ts', specifier: './registry.js' });
    // A dynamic import() counts as an edge.
    expect(graph.edges).toContainEqual({ from: 'server/store/registry.ts', to: 'server/store/sql/sql-adapter.ts', specifier: './sql/sql-adapter.js' });
  });

  it('finds no forbidden import in the tree', () => {
    expect(forbiddenImports(graph.edges, RULES)).toEqual([]);
  });

  it('finds no cycle between folders beyond the known edges', () => {
    expect(cycleReport(graph.edges)).toEqual([]);
  });

  it('lists only known cycle edges that still exist and still close a cycle, and no more of them than today', () => {
    // The ratchet: lower this number when an entry goes, never raise it.
    expect(KNOWN_CYCLE_EDGES.length).toBeLessThanOrEqual(0);
    const cycles = folderCycles(graph.edges);
    for (const k of KNOWN_CYCLE_EDGES) {
      expect(graph.edges.some((e) => e.from === k.from && e.to === k.to), `${k.from} -> ${k.to} is gone: remove it from KNOWN_CYCLE_EDGES`).toBe(true);
      const inCycle = cycles.some((c) => c.folders.includes(folderOf(k.from)) && c.folders.includes(folderOf(k.to)));
      expect(inCycle, `${k.from} -> ${k.to} no longer closes a cycle: remove it from KNOWN_CYCLE_EDGES`).toBe(true);
    }
  });

  it('fails on a forbidden import added to the tree', () => {
    const injected: ImportEdge = { from: 'server/topic/group.ts', to: 'server/session/session.ts', specifier: '../session/session.js' };
    expect(forbiddenImports([...graph.edges, injected], RULES)).toEqual([
      'server/topic/group.ts -> server/session/session.ts (../session/session.js): ' +
        'a topic sees Clients and its TopicEnv only, so it loads the same way on any node of a cluster',
    ]);
  });

  it('fails on a folder cycle added to the tree, naming each edge and the import behind it', () => {
    // server/store/contract/errors.ts is imported by server/request; the injected import closes the loop.
    const injected: ImportEdge = { from: 'server/store/contract/errors.ts', to: 'server/request/client.ts', specifier: '../request/client.js' };
    expect(graph.edges.some((e) => folderOf(e.from) === 'server/request' && folderOf(e.to) === 'server/store/contract')).toBe(true);
    const cycles = cycleReport([...graph.edges, injected]);
    expect(cycles).toHaveLength(1);
    const lines = cycles[0] ?? [];
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^server\/request -> server\/store\/contract: server\/request\/\S+ imports \.\.\/store\/contract\//);
    expect(lines[1]).toBe('server/store/contract -> server/request: server/store/contract/errors.ts imports ../request/client.js');
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** One relative import of one project file: who imports what, as written and as resolved. */
export interface ImportEdge {
  /** The importing file, relative to the project root with `/` separators (`server/topic/group.ts`). */
  from: string;
  /** The imported file, resolved the same way (`server/session/session.ts`). */
  to: string;
  /** The module specifier as written in the source (`../session/session.js`). */
  specifier: string;
}

/** The project's files and the relative imports between them. */
export interface ImportGraph {
  /** Every `.ts` file read, relative to the root, sorted. */
  files: string[];
  /** Every relative import that resolves to a project file, in file order. */
  edges: ImportEdge[];
}

/** An edge of the folder graph with every file import that makes it. */
export interface FolderEdge {
  from: string;
  to: string;
  /** The file imports behind this folder edge (at least one). */
  imports: ImportEdge[];
}

/** Folders never read: installed packages, build output, and the data a server run leaves. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'coverage', 'data', '.git']);

/**
 * Files at the root of `server/` that are nodes of their own rather than part of a folder `server`:
 * the composition root imports every folder, so counting it as `server` would make a cycle with
 * any folder that imports a file beside it.
 */
const OWN_NODES: Readonly<Record<string, string>> = {
  'server/index.ts': 'server/index',
};

/**
 * The node of the folder graph a file belongs to: its directory relative to the root
 * (`server/store/sql` for `server/store/sql/sql-adapter.ts`, `cli` for `cli/main.ts`,
 * `.` for a file at the root), except for the files listed in {@link OWN_NODES}.
 */
export function folderOf(file: string): string {
  return OWN_NODES[file] ?? posix.dirname(file);
}

/** Every `.ts` file under `root` (declaration files included), relative with `/` separators, sorted. */
function listTsFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(join(dir, entry.name));
      } else if (entry.isFile() && entry.name.endsWith('.ts')) {
        out.push(relative(root, join(dir, entry.name)).split(sep).join('/'));
      }
    }
  };
  walk(root);
  return out.sort();
}

/**
 * The project file a relative specifier names, as NodeNext resolves it in this code base:
 * `./x.js` is the source `./x.ts`, and a directory is its `index.ts`. Returns undefined for a
 * specifier that is not relative (a package) or names no project `.ts` file (a JSON file, say).
 */
function resolveSpecifier(from: string, specifier: string, known: ReadonlySet<string>): string | undefined {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const base = posix.normalize(posix.join(posix.dirname(from), specifier));
  const candidates = [base.replace(/\.(js|mjs|cjs)$/, (ext) => ext.replace('js', 'ts')), base, `${base}.ts`, `${base}/index.ts`];
  return candidates.find((c) => known.has(c));
}

/**
 * Reads every `.ts` file under `root` (skipping node_modules, dist and dot folders) and returns the
 * graph of its relative imports. Every form that loads a module counts: `import`, `import type`,
 * `export … from`, side-effect imports, `import()` calls and `import('…')` types. The TypeScript
 * scanner finds them, so specifiers inside comments and strings are not mistaken for imports.
 */
export function readImportGraph(root: string): ImportGraph {
  const files = listTsFiles(root);
  const known = new Set(files);
  const edges: ImportEdge[] = [];
  for (const from of files) {
    const text = readFileSync(join(root, from), 'utf8');
    for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
      const to = resolveSpecifier(from, ref.fileName, known);
      if (to !== undefined && to !== from) edges.push({ from, to, specifier: ref.fileName });
    }
  }
  return { files, edges };
}

/** The folder graph of `edges`: one edge per ordered pair of distinct folders, with its file imports. */
export function folderGraph(edges: readonly ImportEdge[]): Map<string, Map<string, FolderEdge>> {
  const graph = new Map<string, Map<string, FolderEdge>>();
  for (const edge of edges) {
    const from = folderOf(edge.from);
    const to = folderOf(edge.to);
    if (from === to) continue;
    let out = graph.get(from);
    if (!out) graph.set(from, (out = new Map()));
    let folderEdge = out.get(to);
    if (!folderEdge) out.set(to, (folderEdge = { from, to, imports: [] }));
    folderEdge.imports.push(edge);
  }
  return graph;
}

/**
 * The strongly connected components of the folder graph that hold more than one folder (Tarjan's
 * algorithm), each as its folders (sorted) and the folder edges inside it (sorted). An empty
 * result means the folder graph has no cycle.
 */
export function folderCycles(edges: readonly ImportEdge[]): { folders: string[]; edges: FolderEdge[] }[] {
  const graph = folderGraph(edges);
  const nodes = new Set<string>(graph.keys());
  for (const out of graph.values()) for (const to of out.keys()) nodes.add(to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  // Recursion depth is bounded by the number of folders (a few dozen), so no explicit stack is needed.
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) components.push(component.sort());
  };
  for (const v of [...nodes].sort()) if (!index.has(v)) visit(v);
  return components.map((folders) => {
    const inside = new Set(folders);
    const cycleEdges: FolderEdge[] = [];
    for (const from of folders) {
      for (const [to, edge] of graph.get(from) ?? []) if (inside.has(to)) cycleEdges.push(edge);
    }
    cycleEdges.sort((a, b) => `${a.from} ${a.to}`.localeCompare(`${b.from} ${b.to}`));
    return { folders, edges: cycleEdges };
  });
}

/** The project root: two levels above this helper (`test/helpers/`). */
export const PROJECT_ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

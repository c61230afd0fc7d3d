import { pathOn, readOnlyRoute, type ExtraRoute, type ReadAnswer } from './routes.js';

/**
 * Liveness and readiness for process supervisors and load balancers (Kubernetes probes, systemd
 * watchdogs, an HAProxy check). Live: the process answers HTTP. Ready: it can do its work, that
 * is its database answers (a one-row read within `timeoutMs`), it is not shutting down, and in a
 * cluster it is linked to the others (NATS reachable, its name its own). A
 * readiness answer is reused for `cacheMs`, so probes from many balancers cost the database one
 * read a second at most.
 */
export interface HealthSources {
  /** True once shutdown started. */
  shuttingDown(): boolean;
  /** Resolves when the database answers; rejects with what went wrong. */
  checkDatabase(): Promise<void>;
  /** In a cluster: 'ok', or why this node cannot serve the cluster now. */
  cluster?: (() => string) | undefined;
}

export interface HealthPaths {
  /** '' or '-': not served. */
  live: string;
  ready: string;
}

interface Verdict {
  ok: boolean;
  body: Record<string, string>;
}

const asAnswer = (v: Verdict): ReadAnswer => ({ status: v.ok ? 200 : 503, type: 'application/json; charset=utf-8', body: JSON.stringify(v.body) });

export function healthRoutes(paths: HealthPaths, src: HealthSources, timeoutMs = 2000, cacheMs = 1000): Map<string, ExtraRoute> {
  const routes = new Map<string, ExtraRoute>();
  if (pathOn(paths.live)) {
    routes.set(paths.live, readOnlyRoute(() => asAnswer({ ok: true, body: { status: 'ok' } })));
  }
  if (pathOn(paths.ready)) {
    let last: { at: number; verdict: Promise<Verdict> } | null = null;
    routes.set(
      paths.ready,
      readOnlyRoute(async () => {
        if (src.shuttingDown()) {
          return asAnswer({ ok: false, body: { status: 'unavailable', reason: 'shutting down' } });
        }
        const now = performance.now();
        if (!last || now - last.at >= cacheMs) {
          last = { at: now, verdict: readiness(src, timeoutMs) };
        }
        return asAnswer(await last.verdict);
      }),
    );
  }
  return routes;
}

async function readiness(src: HealthSources, timeoutMs: number): Promise<Verdict> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      src.checkDatabase(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    return { ok: false, body: { status: 'unavailable', database: err instanceof Error ? err.message : String(err), ...clusterPart(src) } };
  } finally {
    clearTimeout(timer);
  }
  const cluster = clusterPart(src);
  const ok = cluster.cluster === undefined || cluster.cluster === 'ok';
  return { ok, body: { status: ok ? 'ok' : 'unavailable', database: 'ok', ...cluster } };
}

function clusterPart(src: HealthSources): { cluster?: string } {
  return src.cluster ? { cluster: src.cluster() } : {};
}

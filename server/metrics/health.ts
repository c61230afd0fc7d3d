import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Liveness and readiness for process supervisors and load balancers (Kubernetes probes, systemd
 * watchdogs, an HAProxy check). Live: the process answers HTTP. Ready: it can do its work, that
 * is its database answers (a one-row read within `timeoutMs`), and it is not shutting down. A
 * readiness answer is reused for `cacheMs`, so probes from many balancers cost the database one
 * read a second at most.
 */
export interface HealthSources {
  /** True once shutdown started. */
  shuttingDown(): boolean;
  /** Resolves when the database answers; rejects with what went wrong. */
  checkDatabase(): Promise<void>;
}

export interface HealthPaths {
  /** '' or '-': not served. */
  live: string;
  ready: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Verdict {
  ok: boolean;
  body: Record<string, string>;
}

export function healthRoutes(paths: HealthPaths, src: HealthSources, timeoutMs = 2000, cacheMs = 1000): Map<string, Handler> {
  const routes = new Map<string, Handler>();
  const on = (p: string) => p !== '' && p !== '-';
  if (on(paths.live)) {
    routes.set(paths.live, (req, res) => answer(req, res, { ok: true, body: { status: 'ok' } }));
  }
  if (on(paths.ready)) {
    let last: { at: number; verdict: Promise<Verdict> } | null = null;
    routes.set(paths.ready, (req, res) => {
      if (src.shuttingDown()) {
        answer(req, res, { ok: false, body: { status: 'unavailable', reason: 'shutting down' } });
        return;
      }
      const now = performance.now();
      if (!last || now - last.at >= cacheMs) {
        last = { at: now, verdict: readiness(src, timeoutMs) };
      }
      void last.verdict.then((v) => answer(req, res, v));
    });
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
    return { ok: true, body: { status: 'ok', database: 'ok' } };
  } catch (err) {
    return { ok: false, body: { status: 'unavailable', database: err instanceof Error ? err.message : String(err) } };
  } finally {
    clearTimeout(timer);
  }
}

function answer(req: IncomingMessage, res: ServerResponse, v: Verdict): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.statusCode = 405;
    res.setHeader('Allow', 'GET, HEAD');
    res.end();
    return;
  }
  res.statusCode = v.ok ? 200 : 503;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(req.method === 'HEAD' ? undefined : JSON.stringify(v.body));
}

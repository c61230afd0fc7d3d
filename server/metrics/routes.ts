import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from './prometheus.js';
import type { Stats } from './stats.js';

/** A handler of the HTTP server's extra routes (by path prefix). */
export type ExtraRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

/** What a read-only endpoint answers. */
export interface ReadAnswer {
  /** 200 unless said. */
  status?: number;
  type: string;
  body: string;
}

/**
 * A read-only endpoint (statistics, metrics, probes): GET gets the answer, HEAD its headers
 * alone, any other method 405; never cached; an answer that cannot be made is a 500.
 */
export function readOnlyRoute(answer: () => ReadAnswer | Promise<ReadAnswer>): ExtraRoute {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('Allow', 'GET, HEAD');
      res.end();
      return;
    }
    Promise.resolve()
      .then(answer)
      .then(
        (a) => {
          res.statusCode = a.status ?? 200;
          res.setHeader('Content-Type', a.type);
          res.setHeader('Cache-Control', 'no-store');
          res.end(req.method === 'HEAD' ? undefined : a.body);
        },
        (err: unknown) => {
          res.statusCode = 500;
          res.end(err instanceof Error ? err.message : String(err));
        },
      );
  };
}

/** A path option that is on ('' and '-' turn it off, as the reference's `expvar`). */
export function pathOn(path: string): boolean {
  return path !== '' && path !== '-';
}

/**
 * The HTTP server's routes beside the client endpoints: the health probes, the file routes (with
 * a media handler), the statistics at `expvar` and the Prometheus metrics, each where configured.
 */
export function extraRoutes(
  expvar: { path: string; stats: Stats } | null,
  prometheus: { path: string; metrics: Metrics } | null,
  health: ReadonlyMap<string, ExtraRoute>,
  files: ReadonlyMap<string, ExtraRoute> | null,
): Map<string, ExtraRoute> {
  const routes = new Map<string, ExtraRoute>([...health, ...(files ?? [])]);
  if (expvar) {
    routes.set(expvar.path, expvar.stats.handler());
  }
  if (prometheus) {
    routes.set(prometheus.path, prometheus.metrics.handler());
  }
  return routes;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from './prometheus.js';
import type { Stats } from './stats.js';

/** A handler of the HTTP server's extra routes (by path prefix). */
export type ExtraRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

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

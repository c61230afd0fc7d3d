import { existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import serveStatic from 'serve-static';

/**
 * Static files (TinodeWeb or any folder) at a mount point: content types, caching headers,
 * ranges, `index.html` for folders, no directory listing, no path traversal (serve-static
 * resolves paths inside the root and refuses `..`).
 */
export type StaticHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/**
 * Serves `dir` under `mount`. `headers` (by default none) are added to every answer under the
 * mount point, files, redirects and errors alike; a request outside it is passed on untouched.
 */
export function staticHandler(dir: string, mount: string, cacheControlSeconds: number, headers: Readonly<Record<string, string>> = {}): StaticHandler {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new Error(`the static folder ${root} does not exist`);
  }
  const serve = serveStatic(root, {
    index: ['index.html'],
    maxAge: cacheControlSeconds * 1000,
    dotfiles: 'ignore',
    fallthrough: true,
    redirect: true,
  });
  const prefix = mount.endsWith('/') ? mount : mount + '/';
  return (req, res, next) => {
    const url = req.url ?? '/';
    if (!url.startsWith(prefix) && url !== prefix.slice(0, -1)) {
      next();
      return;
    }
    for (const [name, value] of Object.entries(headers)) {
      res.setHeader(name, value);
    }
    const inner = '/' + url.slice(prefix.length);
    const original = req.url;
    req.url = inner;
    serve(req, res, () => {
      req.url = original;
      next();
    });
  };
}

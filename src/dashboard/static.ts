import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { RelayError } from '../errors/index.js';

/** The package root: the nearest folder above this file with a package.json (works from src/ and dist/src/). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/** Where `npm run build` (vite) puts the dashboard. */
export function defaultWebRoot(): string {
  return path.join(packageRoot(), 'dist', 'web');
}

/** Paths the single-page app answers (web/src/app.tsx routes them). */
export const DASHBOARD_PAGES = ['/', '/setup', '/login', '/connection', '/keys', '/webhook', '/chat', '/logs', '/subscriptions', '/deliveries', '/account', '/apps', '/users', '/oauth/consent', '/api-reference'];

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>odoo-relay</title></head>
<body><h1>Dashboard not built</h1><p>Run <code>npm run build</code> (or <code>npm start</code>), then reload.
The API at <code>/api/</code> works without it.</p></body></html>`;

/**
 * The single-page app's index.html, for a page path (it routes itself): a 503 page saying how
 * to build it when the build is missing. `cacheControl` for pages that must never be reused.
 */
export async function sendDashboardPage(reply: FastifyReply, webRoot = defaultWebRoot(), cacheControl = 'no-cache'): Promise<FastifyReply> {
  let html: string;
  try {
    html = await fs.promises.readFile(path.join(webRoot, 'index.html'), 'utf8');
  } catch {
    return reply.code(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT);
  }
  return reply.header('cache-control', cacheControl).type('text/html; charset=utf-8').send(html);
}

/**
 * Serves the built single-page app: hashed files under /assets/ (cached for a year), and
 * index.html (never cached) at each page path, so that deep links such as /keys load the app.
 */
export async function registerDashboardStatic(app: FastifyInstance, webRoot = defaultWebRoot()): Promise<void> {
  const assets = path.join(webRoot, 'assets');
  await app.register(fastifyStatic, {
    root: assets,
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    cacheControl: true,
    maxAge: '365d',
    immutable: true,
  });

  const sendIndex = (_request: unknown, reply: FastifyReply) => sendDashboardPage(reply, webRoot);

  app.get('/favicon.svg', async (_request, reply) => {
    const file = path.join(webRoot, 'favicon.svg');
    if (!fs.existsSync(file)) throw new RelayError('not_found');
    return reply.header('cache-control', 'public, max-age=86400').type('image/svg+xml').send(await fs.promises.readFile(file));
  });
  // The app's pages; any other path keeps the relay's JSON 404.
  for (const page of DASHBOARD_PAGES) app.get(page, sendIndex);
}

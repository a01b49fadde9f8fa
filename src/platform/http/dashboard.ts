import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The dashboard: the single-page app built from web/ (scripts/build-web.mjs) into `dir`. Hashed
 * assets are served from /assets/ as immutable; any other browser navigation that no route
 * claims gets index.html, so deep links (/runs/run_…) work on reload. API paths never fall back:
 * a mistyped /api/… answers a problem document, not HTML.
 */
export interface DashboardOptions {
  /** The build output (web/dist). Missing or unbuilt: navigations get a page saying how to build. */
  dir: string;
}

/** Paths that belong to the API and other server routes, never to the app. */
const SERVER_PREFIXES = [
  '/api/',
  '/hooks/',
  '/approvals/',
  '/health/',
  '/metrics',
  '/docs',
  '/openapi.json',
  '/assets/',
];

/** Bare paths the app has a page at although server routes live below them (/health/live…). */
const APP_PAGES = new Set(['/health']);

/**
 * The page's policy: only our own scripts (no inline script, no eval); inline styles are allowed
 * because React Flow positions nodes with style attributes; API calls to this origin only.
 */
const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Switchyard</title>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5">
<h1>The dashboard is not built</h1>
<p>Run <code>npm run build:web</code> (or start with <code>npm start</code>, which builds it), then reload.
The API works meanwhile: see <a href="/docs">/docs</a>.</p></body>`;

export interface Dashboard {
  /** Whether this request is a browser navigation the app should answer. */
  wants(req: FastifyRequest): boolean;
  sendIndex(reply: FastifyReply): Promise<FastifyReply>;
}

export async function registerDashboard(app: FastifyInstance, opts: DashboardOptions): Promise<Dashboard> {
  const assets = path.join(opts.dir, 'assets');
  if (existsSync(assets)) {
    await app.register(fastifyStatic, {
      root: assets,
      prefix: '/assets/',
      // File names carry a content hash: a new build has new names.
      immutable: true,
      maxAge: '365d',
      index: false,
      schemaHide: true,
    });
  }
  const favicon = path.join(opts.dir, 'favicon.svg');
  app.get('/favicon.svg', { schema: { hide: true } }, async (_req, reply) => {
    if (!existsSync(favicon)) return reply.code(404).send();
    return reply
      .type('image/svg+xml')
      .header('cache-control', 'public, max-age=86400')
      .send(await readFile(favicon));
  });
  const index = path.join(opts.dir, 'index.html');
  return {
    wants(req) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      if (!String(req.headers.accept ?? '').includes('text/html')) return false;
      const p = req.url.split('?')[0] ?? '/';
      if (APP_PAGES.has(p)) return true;
      return !SERVER_PREFIXES.some((prefix) => p === prefix.replace(/\/$/, '') || p.startsWith(prefix));
    },
    async sendIndex(reply) {
      // Read each time (it is ~1 KB): a rebuild while the server runs is picked up at once.
      const html = await readFile(index, 'utf8').catch(() => undefined);
      return reply
        .code(html ? 200 : 503)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('content-security-policy', DASHBOARD_CSP)
        .send(html ?? NOT_BUILT);
    },
  };
}

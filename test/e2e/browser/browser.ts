import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { type Browser, type BrowserContext, chromium, type ConsoleMessage, type Page } from 'playwright-core';
import { type CliProcess, cliEnv, makeDataDir, REPO_ROOT, startReady } from '../spawn.ts';

/**
 * The browser suite's harness: Debian's Chromium driven by playwright-core against the real server,
 * started the way `npm start` starts it (server build, dashboard build, `switchyard start`) on a
 * port and data directory of its own. Every test gets a fresh browser context (no cookies, no
 * localStorage), fails on console errors, uncaught page errors, 5xx answers and failed requests,
 * and leaves a full-page screenshot in test-output/screenshots/.
 */

export const CHROMIUM_PATH = '/usr/bin/chromium';
// Like PostgreSQL and Redis (test/support/env.ts): in CI the suite must run, so a missing browser
// is a failure there and a skip only on a developer's machine.
const chromiumRequired = process.env.CI === 'true' || process.env.REQUIRE_CHROMIUM === 'true';
/** Why the browser suite cannot run here, or false when it can. */
export const chromiumMissing: string | false = fs.existsSync(CHROMIUM_PATH)
  ? false
  : `${CHROMIUM_PATH} is missing (apt-get install chromium) — the browser suite is skipped`;
if (chromiumMissing && chromiumRequired) {
  throw new Error(`Chromium is required (CI=true) but ${CHROMIUM_PATH} does not exist; .ci/run installs it`);
}

export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-output', 'screenshots');

/** Timeouts sized for a 2-core CI machine running other test files alongside. */
export const ACTION_TIMEOUT_MS = 15_000;
const NAVIGATION_TIMEOUT_MS = 30_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Builds the dashboard as `npm start` does (only when web/ changed). build-web.mjs exits 0 when
 * the build fails, so the server still starts for API users; a test must not run a stale or
 * missing dashboard, so a failure message or a missing index.html fails here.
 */
function buildDashboard(): void {
  const build = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-web.mjs'), '--if-stale'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  const output = `${build.stdout ?? ''}\n${build.stderr ?? ''}`;
  if (build.status !== 0 || /build failed|not installed|not built/i.test(output)) {
    throw new Error(`scripts/build-web.mjs did not build the dashboard (exit ${build.status})\n${output}`);
  }
  if (!fs.existsSync(path.join(REPO_ROOT, 'web', 'dist', 'index.html'))) {
    throw new Error(`scripts/build-web.mjs made no web/dist/index.html\n${output}`);
  }
}

/** What a page did wrong while a test drove it. */
interface Problems {
  consoleErrors: string[];
  pageErrors: string[];
  failedRequests: string[];
}

export interface PageSession {
  page: Page;
  context: BrowserContext;
  baseUrl: string;
  /** Saves a full-page screenshot as <test>-<label>.png and prints its path. */
  shot(label: string): Promise<string>;
  /**
   * Console errors matching `pattern` are expected from now on (e.g. Chromium's "Failed to load
   * resource: … 401" for a deliberately wrong password); any other console error fails the test.
   */
  expectConsoleError(pattern: RegExp): void;
}

export interface BrowserEnv {
  baseUrl: string;
  server: CliProcess;
  /** How long the dashboard build and the start took, for the log. */
  startup: string;
  /** Runs `body` on a fresh context and page; screenshots and checks the page afterwards. */
  run(
    t: TestContext,
    options: {
      /** The screenshots' file-name stem (default: the test's name). */
      name?: string;
      viewport?: { width: number; height: number };
      colorScheme?: 'light' | 'dark';
    },
    body: (s: PageSession) => Promise<void>,
  ): Promise<void>;
  close(): Promise<void>;
}

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);

function watch(page: Page, problems: Problems, expected: RegExp[]): void {
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() !== 'error') return;
    const text = `${msg.text()} (${msg.location().url || page.url()})`;
    if (!expected.some((re) => re.test(text))) problems.consoleErrors.push(text);
  });
  page.on('pageerror', (err) => problems.pageErrors.push(err.stack ?? err.message));
  page.on('requestfailed', (req) => {
    const reason = req.failure()?.errorText ?? 'failed';
    // A navigation or an unmounted component cancels requests in flight: not a fault.
    if (reason.includes('ERR_ABORTED')) return;
    problems.failedRequests.push(`${req.method()} ${req.url()}: ${reason}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 500) problems.failedRequests.push(`${res.request().method()} ${res.url()}: ${res.status()}`);
  });
}

function describeProblems(p: Problems): string {
  const parts: string[] = [];
  if (p.consoleErrors.length) parts.push(`console errors:\n  ${p.consoleErrors.join('\n  ')}`);
  if (p.pageErrors.length) parts.push(`uncaught page errors:\n  ${p.pageErrors.join('\n  ')}`);
  if (p.failedRequests.length) parts.push(`failed requests:\n  ${p.failedRequests.join('\n  ')}`);
  return parts.join('\n');
}

/** Starts the server and the browser; call from `before`, and `close()` from `after`. */
export async function startBrowserEnv(): Promise<BrowserEnv> {
  const started = performance.now();
  buildDashboard();
  const built = performance.now();
  const port = await freePort();
  // localhost, not 127.0.0.1: the session cookie is Secure, which Chromium honours on localhost only.
  const baseUrl = `http://localhost:${port}`;
  const env = cliEnv({ SWITCHYARD_DATA_DIR: makeDataDir(), PORT: String(port), PUBLIC_URL: baseUrl });
  // The server (first start: a fresh embedded database) and Chromium start side by side.
  const [serverStart, browserStart] = await Promise.allSettled([
    startReady(['start'], env, 60_000),
    chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    }),
  ]);
  if (serverStart.status === 'rejected' || browserStart.status === 'rejected') {
    if (serverStart.status === 'fulfilled') await serverStart.value.proc.kill();
    if (browserStart.status === 'fulfilled') await browserStart.value.close();
    throw serverStart.status === 'rejected' ? serverStart.reason : (browserStart as PromiseRejectedResult).reason;
  }
  const server = serverStart.value.proc;
  const browser: Browser = browserStart.value;
  // Only this run's screenshots: .ci/run lists the folder after the tests.
  fs.rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const ms = (from: number, to: number) => `${Math.round(to - from)} ms`;
  const startup = `dashboard build ${ms(started, built)}, server and browser start ${ms(built, performance.now())}`;

  return {
    baseUrl,
    server,
    startup,
    async run(t, options, body) {
      const context = await browser.newContext({
        baseURL: baseUrl,
        viewport: options.viewport ?? { width: 1280, height: 800 },
        colorScheme: options.colorScheme ?? 'light',
      });
      context.setDefaultTimeout(ACTION_TIMEOUT_MS);
      context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
      const page = await context.newPage();
      const problems: Problems = { consoleErrors: [], pageErrors: [], failedRequests: [] };
      const expected: RegExp[] = [];
      watch(page, problems, expected);
      // A popup or a new tab the app opens is checked the same way.
      context.on('page', (opened) => watch(opened, problems, expected));
      const name = slug(options.name ?? t.name);
      const shot = async (label: string) => {
        const file = path.join(SCREENSHOT_DIR, `${name}${label ? `-${slug(label)}` : ''}.png`);
        await page.screenshot({ path: file, fullPage: true });
        t.diagnostic(`screenshot: ${path.relative(REPO_ROOT, file)}`);
        return file;
      };
      let failure: unknown;
      try {
        await body({ page, context, baseUrl, shot, expectConsoleError: (re) => expected.push(re) });
      } catch (err) {
        failure = err;
      }
      // The last screenshot is the one to look at when a step failed: taken whatever happened.
      await shot('').catch((err: unknown) => t.diagnostic(`no screenshot: ${String(err)}`));
      await context.close();
      const report = describeProblems(problems);
      if (failure) {
        if (report && failure instanceof Error) failure.message += `\n${report}`;
        throw failure;
      }
      if (report) throw new Error(`the page misbehaved at ${page.url()}\n${report}`);
    },
    async close() {
      await browser.close().catch(() => undefined);
      await server.kill();
    },
  };
}

let accounts = 0;

/** A fresh account's sign-up fields: a unique e-mail and a password zxcvbn rates strong. */
export function newAccount(label: string) {
  accounts += 1;
  return {
    name: `Ada ${label}`,
    email: `browser-${process.pid}-${accounts}-${label}@example.test`,
    password: `Tangerine lantern orbit ${accounts} mossy kettle`,
    organizationName: `${label} works ${accounts}`,
  };
}

/**
 * Signs up over the API from inside the page (so the browser keeps the refresh cookie, as the
 * sign-up page would), then loads the app signed in. For tests whose subject is not sign-up.
 */
export async function signUpViaApi(page: Page, account: ReturnType<typeof newAccount>): Promise<void> {
  await page.goto('/login');
  const status = await page.evaluate(async (body) => {
    const res = await fetch('/api/v1/auth/signup', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-session-transport': 'cookie' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
    return `${res.status} ${await res.text()}`;
  }, account);
  if (!status.startsWith('201')) throw new Error(`sign-up over the API failed: ${status}`);
  await page.goto('/');
  // Wait for the app to have renewed its token from the cookie: a navigation while that refresh
  // is in flight drops its answer, and with it the rotated refresh token (signed out on reload).
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

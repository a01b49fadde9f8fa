import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { Secret, TOTP } from 'otpauth';
import { api, killAll, removeDataDirs } from '../spawn.ts';
import { type BrowserEnv, chromiumMissing, newAccount, signUpViaApi, startBrowserEnv } from './browser.ts';
import { buildWebhookWorkflow, createItem, readRunOutput, signUpInTheForm } from './journey.ts';

const PHONE = { width: 390, height: 844 };

/** The pages of the main navigation and the two forms a new user meets first, checked on a phone. */
const PHONE_PAGES = [
  '/',
  '/items',
  '/items/new',
  '/workflows',
  '/workflows/new',
  '/runs',
  '/jobs',
  '/health',
  '/audit',
  '/settings',
];

/** What shows once a page has rendered: its title, or for the editor (named by an input) that input. */
const rendered = (page: Page, pathname: string) =>
  pathname.startsWith('/workflows/')
    ? page.getByLabel('Workflow name')
    : page.getByRole('main').getByRole('heading', { level: 1 }).first();

const pageWidth = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth');
const isDark = (page: Page) => page.evaluate<boolean>("document.documentElement.classList.contains('dark')");

describe('the dashboard in Chromium', { skip: chromiumMissing }, () => {
  let env: BrowserEnv;
  before(async () => {
    env = await startBrowserEnv();
    console.log(`browser suite: ${env.startup}`);
  });
  after(async () => {
    await env?.close();
    await killAll();
    removeDataDirs();
  });

  test('a new user signs up, builds a webhook workflow, calls it and reads the run', async (t) => {
    await env.run(t, { name: 'journey' }, async ({ page, shot }) => {
      const account = newAccount('journey');
      await signUpInTheForm(page, account);
      await shot('1-signed-up');

      await createItem(page, 'Invoice 2026-001');
      await shot('2-item-listed');

      const { webhookUrl } = await buildWebhookWorkflow(page, {
        name: 'Greeter',
        expression: '{"greeting": "Hello " & trigger.body.name}',
      });
      await shot('3-workflow-active');

      // What a caller outside does (curl): a JSON POST to the URL the page showed.
      const res = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Grace' }),
        signal: AbortSignal.timeout(15_000),
      });
      const answer = (await res.json()) as { runId?: string };
      assert.equal(res.status, 202, JSON.stringify(answer));
      assert.match(answer.runId ?? '', /^run_/);

      const output = await readRunOutput(page, { runId: answer.runId ?? '', stepId: 'transform' });
      assert.match(output, /"greeting": "Hello Grace"/, 'the transform step’s output is on the page');
      await shot('4-run-succeeded');
    });
  });

  test('an anonymous visitor is sent to the login page, keeping the deep link', async (t) => {
    await env.run(t, { name: 'anonymous' }, async ({ page }) => {
      await page.goto('/runs');
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.equal(new URL(page.url()).searchParams.get('next'), '/runs');
    });
  });

  test('on a 390 px phone no page scrolls sideways and the menu button opens the navigation', async (t) => {
    await env.run(t, { name: 'phone', viewport: PHONE }, async ({ page, shot }) => {
      await signUpViaApi(page, newAccount('phone'));
      for (const pathname of PHONE_PAGES) {
        await page.goto(pathname);
        await rendered(page, pathname).waitFor();
        // Let the page's first queries settle so their content is part of the measurement.
        await page.waitForLoadState('networkidle');
        const width = await pageWidth(page);
        await shot(`page${pathname === '/' ? '-home' : pathname.replaceAll('/', '-')}`);
        assert.ok(width <= PHONE.width, `${pathname} is ${width} px wide at ${PHONE.width} px`);
      }

      await page.goto('/');
      const drawer = page.getByRole('dialog', { name: 'Menu' });
      assert.equal(await drawer.count(), 0, 'the drawer starts closed');
      await page.getByRole('button', { name: 'Open menu' }).click();
      await drawer.getByRole('navigation', { name: 'Main' }).waitFor();
      await shot('menu-open');
      await drawer.getByRole('link', { name: 'Runs' }).click();
      await page.waitForURL('**/runs');
      await drawer.waitFor({ state: 'detached' });
    });
  });

  test('the dark theme sets the dark class and survives a reload', async (t) => {
    await env.run(t, { name: 'theme', colorScheme: 'light' }, async ({ page, shot }) => {
      await signUpViaApi(page, newAccount('theme'));
      await page.getByRole('main').getByRole('heading', { level: 1 }).first().waitFor();
      assert.equal(await isDark(page), false, 'a light system preference starts light');
      // The switcher cycles light → dark → system; its label names the next choice.
      const switcher = page.getByRole('button', { name: /^Theme: / });
      for (let i = 0; i < 3 && !(await isDark(page)); i++) await switcher.click();
      assert.equal(await isDark(page), true, 'the switcher reached the dark theme');
      await page.reload();
      await page.getByRole('main').getByRole('heading', { level: 1 }).first().waitFor();
      assert.equal(await isDark(page), true, 'dark after a reload');
      assert.match((await switcher.getAttribute('aria-label')) ?? '', /^Theme: dark\b/);
      await shot('dark');
    });
  });

  test('a deep link reloads into the app, and an unknown address shows the app’s own not-found page', async (t) => {
    await env.run(t, { name: 'deep-link' }, async ({ page }) => {
      await signUpViaApi(page, newAccount('deeplink'));
      await page.goto('/runs');
      await page.reload();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/runs');
      assert.equal(await page.getByText('No such page').count(), 0, '/runs is a page of the app');
      const active = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' });
      assert.equal(await active.getAttribute('aria-current'), 'page');

      await page.goto('/no-such-page');
      await page.getByText('No such page').waitFor();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
    });
  });

  test('logging out ends the session; a wrong password is refused in words; logging back in (by Enter) works', async (t) => {
    await env.run(t, { name: 'login' }, async ({ page, shot, expectConsoleError }) => {
      const account = newAccount('login');
      await signUpViaApi(page, account);
      // As a person would: once the home page has loaded (its requests would otherwise meet the
      // ended session with 401s, which Chromium logs as console errors).
      await page.waitForLoadState('networkidle');
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      // Signed out for real: the refresh cookie is gone, so a protected page sends us back.
      await page.goto('/items');
      await page.waitForURL(/\/login\?next=%2Fitems$/);

      // Chromium logs every 4xx answer as a console error; this one is the point of the step.
      expectConsoleError(/status of 401/);
      await page.getByLabel('Email', { exact: true }).fill(account.email);
      await page.getByLabel('Password', { exact: true }).fill(`${account.password} typo`);
      await page.getByRole('button', { name: 'Log in', exact: true }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      const message = (await alert.innerText()).trim();
      assert.match(message, /password/i, 'the refusal says what is wrong');
      assert.doesNotMatch(message, /[A-Z]{2,}_[A-Z_]+|\b401\b/, 'in words, not an error code');
      await shot('refused');

      // This time from the keyboard: Enter in the password field submits the form.
      await page.getByLabel('Password', { exact: true }).fill(account.password);
      await page.getByLabel('Password', { exact: true }).press('Enter');
      // Back where the deep link pointed, signed in; a reload keeps the session (refresh cookie).
      await page.waitForURL('**/items');
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      await page.reload();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/items');
    });
  });

  test('an account with two-factor authentication logs in with a code from its authenticator app', async (t) => {
    await env.run(t, { name: 'mfa' }, async ({ page, shot }) => {
      // Set up over the API as the Security settings would: sign up, enrol TOTP, confirm it.
      const account = newAccount('mfa');
      const signup = await api(env.baseUrl, 'POST', '/api/v1/auth/signup', account);
      assert.equal(signup.status, 201, JSON.stringify(signup.body));
      const auth = { authorization: `Bearer ${(signup.body as { accessToken: string }).accessToken}` };
      const enroll = await api(
        env.baseUrl,
        'POST',
        '/api/v1/auth/mfa/totp/enroll',
        { password: account.password },
        auth,
      );
      assert.equal(enroll.status, 200, JSON.stringify(enroll.body));
      const totp = new TOTP({ secret: Secret.fromBase32((enroll.body as { secret: string }).secret) });
      // The previous time step's code, so the login below can use the current one (a code is single-use).
      const code = totp.generate({ timestamp: Date.now() - 30_000 });
      const confirm = await api(env.baseUrl, 'POST', '/api/v1/auth/mfa/totp/confirm', { code }, auth);
      assert.equal(confirm.status, 200, JSON.stringify(confirm.body));

      await page.goto('/login');
      await page.getByLabel('Email', { exact: true }).fill(account.email);
      await page.getByLabel('Password', { exact: true }).fill(account.password);
      await page.getByRole('button', { name: 'Log in', exact: true }).click();
      await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
      await page.getByLabel('Authentication code').fill(totp.generate());
      await shot('code');
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.getByRole('button', { name: 'Log out' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/');
    });
  });

  test('the first Tab on a signed-in page reaches the skip link, which moves focus past the navigation', async (t) => {
    await env.run(t, { name: 'keyboard' }, async ({ page, shot }) => {
      await signUpViaApi(page, newAccount('keyboard'));
      await page.getByRole('main').getByRole('heading', { level: 1 }).first().waitFor();
      await page.keyboard.press('Tab');
      const focused = await page.evaluate<string>("document.activeElement?.textContent?.trim() ?? ''");
      assert.equal(focused, 'Skip to content', 'the skip link is the first stop');
      await shot('skip-link');
      await page.keyboard.press('Enter');
      assert.equal(new URL(page.url()).hash, '#main');
      // The next Tab lands in the page's content, not on the sidebar's links.
      await page.keyboard.press('Tab');
      const inMain = await page.evaluate<boolean>("document.activeElement?.closest('main') != null");
      assert.equal(inMain, true, 'focus moved past the navigation');
    });
  });
});

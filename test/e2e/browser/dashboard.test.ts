import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { killAll, removeDataDirs } from '../spawn.ts';
import { type BrowserEnv, chromiumMissing, newAccount, signUpViaApi, startBrowserEnv } from './browser.ts';

const PHONE = { width: 390, height: 844 };

/** The pages of the main navigation, each checked for sideways overflow on a phone. */
const NAV_PAGES = ['/', '/items', '/workflows', '/runs', '/jobs', '/health', '/audit', '/settings'];

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
      for (const pathname of NAV_PAGES) {
        await page.goto(pathname);
        await page.getByRole('main').getByRole('heading', { level: 1 }).first().waitFor();
        // Let the page's first queries settle so their content is part of the measurement.
        await page.waitForLoadState('networkidle');
        const width = await pageWidth(page);
        await shot(`page${pathname === '/' ? '-home' : pathname}`);
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
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { killAll, removeDataDirs } from '../spawn.ts';
import { type BrowserEnv, chromiumMissing, startBrowserEnv } from './browser.ts';

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
    await env.run(t, {}, async ({ page }) => {
      await page.goto('/runs');
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.equal(new URL(page.url()).searchParams.get('next'), '/runs');
    });
  });
});

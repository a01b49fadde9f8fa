import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.ts';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('dashboard serving', () => {
  let db: TestDatabase;
  let built: TestApp;
  let unbuilt: TestApp;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sy-dash-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(
      path.join(dir, 'index.html'),
      '<!doctype html><div id="root"></div><script src="/assets/app-abc.js"></script>',
    );
    writeFileSync(path.join(dir, 'assets', 'app-abc.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    db = await createTestDatabase('pglite');
    built = await createTestApp(db, { dashboard: { dir } });
    unbuilt = await createTestApp(db, { dashboard: { dir: path.join(dir, 'missing') } });
  });
  after(async () => {
    await built.app.close();
    await unbuilt.app.close();
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a browser at / and at deep links with the app, under its own content policy', async () => {
    for (const url of ['/', '/runs/run_123', '/workflows/wf_1?tab=versions', '/settings/members', '/health']) {
      const res = await built.app.inject({ url, headers: HTML });
      assert.equal(res.statusCode, 200, url);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.match(res.body, /<div id="root">/);
      assert.equal(res.headers['cache-control'], 'no-cache');
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /script-src 'self'(;|$)/, 'no inline or eval script');
      assert.match(csp, /frame-ancestors 'none'/);
    }
  });

  it('keeps / a JSON index for API clients', async () => {
    const res = await built.app.inject({ url: '/', headers: { accept: 'application/json' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().name, 'Switchyard');
  });

  it('never answers API or server paths with the app, even for a browser', async () => {
    for (const url of ['/api/v1/no-such-route', '/hooks/', '/health/nope', '/assets/missing.js']) {
      const res = await built.app.inject({ url, headers: HTML });
      assert.equal(res.statusCode, 404, url);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/, url);
    }
    const post = await built.app.inject({ method: 'POST', url: '/runs/x', headers: HTML });
    assert.equal(post.statusCode, 404);
    assert.match(String(post.headers['content-type']), /problem\+json/);
  });

  it('serves hashed assets as immutable and the icon', async () => {
    const js = await built.app.inject({ url: '/assets/app-abc.js' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.body, 'console.log(1)');
    assert.match(String(js.headers['cache-control']), /immutable/);
    const traversal = await built.app.inject({ url: '/assets/..%2findex.html' });
    assert.notEqual(traversal.statusCode, 200);
    const icon = await built.app.inject({ url: '/favicon.svg' });
    assert.equal(icon.statusCode, 200);
    assert.match(String(icon.headers['content-type']), /image\/svg\+xml/);
  });

  it('tells a browser how to build the dashboard when it is not built, and the API still works', async () => {
    const res = await unbuilt.app.inject({ url: '/items', headers: HTML });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /npm run build:web/);
    const health = await unbuilt.app.inject({ url: '/health/live' });
    assert.equal(health.statusCode, 200);
  });
});

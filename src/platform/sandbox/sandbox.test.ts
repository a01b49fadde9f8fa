import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSandbox, type Sandbox, type SandboxResult } from './sandbox.ts';

let sandbox: Sandbox;
before(() => {
  sandbox = createSandbox({ poolSize: 2 });
});
after(async () => {
  await sandbox.close();
});

function value(result: SandboxResult): unknown {
  assert.ok(result.ok, `expected success, got ${JSON.stringify(result)}`);
  return result.value;
}

function failure(result: SandboxResult, code: string, message?: RegExp): string {
  assert.equal(result.ok, false, `expected ${code}, got ${JSON.stringify(result)}`);
  if (result.ok) return '';
  assert.equal(result.error.code, code, result.error.message);
  if (message) assert.match(result.error.message, message);
  // Never a host path or stack in what user code gets to see.
  assert.doesNotMatch(result.error.message, /\/work\/|node_modules|file:|\.ts\b|\n\s+at /);
  return result.error.message;
}

describe('sandbox: results and logs', () => {
  it('returns what the code returns and captures console output', async () => {
    const result = await sandbox.run(
      `console.log('items', input.items.length);
       console.info({ a: 1 }, [2], null, undefined);
       console.warn('careful');
       console.error(new TypeError('bad'));
       return input.items.map(x => x * 2);`,
      { items: [1, 2, 3] },
    );
    assert.deepEqual(value(result), [2, 4, 6]);
    assert.deepEqual(result.logs, [
      'items 3',
      '{"a":1} [2] null undefined',
      '[warn] careful',
      '[error] TypeError: bad',
    ]);
    assert.equal(typeof result.durationMs, 'number');
  });

  it('supports async/await on plain promises, and a returned promise', async () => {
    const code = `const inc = async (x) => { await null; return x + 1; };
      const [a, b] = await Promise.all([inc(1), inc(2)]);
      return Promise.resolve(a + b).then((s) => ({ sum: s }));`;
    assert.deepEqual(value(await sandbox.run(code, null)), { sum: 5 });
  });

  it('converts the result like JSON.stringify; no return gives null', async () => {
    assert.equal(value(await sandbox.run('const x = 1;', null)), null);
    assert.deepEqual(
      value(await sandbox.run('return { f() {}, u: undefined, n: NaN, d: new Date(0), nested: [undefined] }', null)),
      { n: null, d: '1970-01-01T00:00:00.000Z', nested: [null] },
    );
  });

  it('refuses a result that is not JSON data with SANDBOX_BAD_RESULT', async () => {
    failure(await sandbox.run('return () => 1', null), 'SANDBOX_BAD_RESULT', /function/);
    failure(await sandbox.run('return Symbol("s")', null), 'SANDBOX_BAD_RESULT', /symbol/);
    failure(await sandbox.run('const a = {}; a.self = a; return a', null), 'SANDBOX_BAD_RESULT', /circular/);
    failure(await sandbox.run('return 10n', null), 'SANDBOX_BAD_RESULT', /BigInt/i);
  });

  it('reports uncaught exceptions with their line, as SANDBOX_ERROR', async () => {
    failure(await sandbox.run('throw new Error("boom")', null), 'SANDBOX_ERROR', /^Error: boom \(line 1\)$/);
    failure(await sandbox.run('const a = 1;\n\nnull.x', null), 'SANDBOX_ERROR', /^TypeError: .* \(line 3\)$/);
    failure(await sandbox.run('return (', null), 'SANDBOX_ERROR', /^SyntaxError/);
    failure(await sandbox.run('throw "plain"', null), 'SANDBOX_ERROR', /^Uncaught plain$/);
    failure(await sandbox.run('await Promise.reject({ why: 1 })', null), 'SANDBOX_ERROR', /^Uncaught \{"why":1\}$/);
    failure(await sandbox.run('await new Promise(() => {})', null), 'SANDBOX_ERROR', /never settles/);
  });

  it('keeps a bounded number of log lines, each of bounded length', async () => {
    const result = await sandbox.run(
      'console.log("y".repeat(5000)); for (let i = 0; i < 100; i++) console.log(i); return 1',
      null,
      { maxLogLines: 3 },
    );
    assert.equal(value(result), 1);
    assert.equal(result.logs.length, 4);
    assert.equal(result.logs[0]?.length, 2001);
    assert.deepEqual(result.logs.slice(1, 3), ['0', '1']);
    assert.match(result.logs[3] ?? '', /98 more log line/);
  });
});

describe('sandbox: isolation', () => {
  it('gives the code a deep JSON copy of the input', async () => {
    const input = { nested: { x: 1 }, list: [1, 2], when: new Date(0), fn: () => 1 };
    const result = await sandbox.run(
      'input.nested.x = 99; input.list.push(3); input.added = true; return input',
      input,
    );
    assert.deepEqual(value(result), {
      nested: { x: 99 },
      list: [1, 2, 3],
      when: '1970-01-01T00:00:00.000Z',
      added: true,
    });
    assert.deepEqual(input.nested, { x: 1 });
    assert.deepEqual(input.list, [1, 2]);
    assert.ok(!('added' in input));
    assert.equal(value(await sandbox.run('return input === undefined', undefined)), true);
  });

  it('refuses input that is not JSON without throwing', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    failure(await sandbox.run('return 1', cyclic), 'SANDBOX_ERROR', /input/);
    failure(await sandbox.run('return 1', { big: 1n }), 'SANDBOX_ERROR', /input/);
  });

  it('has no host objects: process, require, import(), fetch, timers', async () => {
    failure(
      await sandbox.run("return this.constructor.constructor('return process')()", null),
      'SANDBOX_ERROR',
      /process/,
    );
    assert.equal(value(await sandbox.run("return typeof Function('return this')().process", null)), 'undefined');
    failure(await sandbox.run("require('fs')", null), 'SANDBOX_ERROR', /require/);
    failure(
      await sandbox.run("const fs = await import('fs'); return fs.readFileSync('/etc/passwd', 'utf8')", null),
      'SANDBOX_ERROR',
    );
    failure(await sandbox.run("return import('node:child_process')", null), 'SANDBOX_ERROR');
    failure(await sandbox.run("return await fetch('http://127.0.0.1/')", null), 'SANDBOX_ERROR', /fetch/);
    assert.deepEqual(
      value(
        await sandbox.run(
          `return [globalThis.process, globalThis.require, globalThis.fetch, globalThis.setTimeout,
                   globalThis.setInterval, globalThis.queueMicrotask, globalThis.WebAssembly, globalThis.Buffer]
                   .map((x) => typeof x)`,
          null,
        ),
      ),
      Array(8).fill('undefined'),
    );
  });

  it('does not leak prototype pollution or globals to the host or the next run', async () => {
    const polluting = `Object.prototype.polluted = 'yes'; Array.prototype.map = null;
      JSON.stringify = () => '"hijacked"'; globalThis.leftover = 1;
      return ({}).polluted`;
    assert.equal(value(await sandbox.run(polluting, null)), 'yes');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(typeof [].map, 'function');
    for (let i = 0; i < 3; i++) {
      // Both workers, whichever served the polluting run.
      const next = await sandbox.run(
        'return { polluted: ({}).polluted ?? null, map: typeof [].map, leftover: typeof leftover }',
        null,
      );
      assert.deepEqual(value(next), { polluted: null, map: 'function', leftover: 'undefined' });
    }
  });
});

describe('sandbox: limits', () => {
  it('stops an infinite loop at the time limit with SANDBOX_TIMEOUT', async () => {
    const result = await sandbox.run('while (true) {}', null, { timeoutMs: 150 });
    failure(result, 'SANDBOX_TIMEOUT', /150 ms/);
    assert.ok(result.durationMs >= 150 && result.durationMs < 1500, `took ${result.durationMs} ms`);
    assert.equal(value(await sandbox.run('return 1', null)), 1);
  });

  it('defaults to a 1000 ms time limit', async () => {
    const result = await sandbox.run('for (;;) {}', null);
    failure(result, 'SANDBOX_TIMEOUT', /1000 ms/);
    assert.ok(result.durationMs >= 1000 && result.durationMs < 2500, `took ${result.durationMs} ms`);
  });

  it('stops loops inside async functions and endless promise chains', async () => {
    failure(
      await sandbox.run('async function spin() { await null; for (;;) {} } await spin()', null, { timeoutMs: 100 }),
      'SANDBOX_TIMEOUT',
    );
    failure(
      await sandbox.run('async function again() { await null; return again(); } await again()', null, {
        timeoutMs: 100,
      }),
      'SANDBOX_TIMEOUT',
    );
    failure(
      await sandbox.run('try { while (true) {} } catch (e) { return "caught" }', null, { timeoutMs: 100 }),
      'SANDBOX_TIMEOUT',
    );
  });

  it('stops 1 GB allocations with SANDBOX_MEMORY and keeps working', async () => {
    failure(await sandbox.run("return 'x'.repeat(1e9).length", null), 'SANDBOX_MEMORY', /32 MiB/);
    assert.equal(value(await sandbox.run('return 1', null)), 1);
    failure(await sandbox.run('return new Array(1e8).fill(1).length', null), 'SANDBOX_MEMORY');
    failure(
      await sandbox.run('const a = []; for (;;) a.push({ n: a.length });', null, { memoryBytes: 2 * 1024 * 1024 }),
      'SANDBOX_MEMORY',
      /2 MiB/,
    );
    const after = await Promise.all([1, 2, 3, 4].map((n) => sandbox.run('return input * 10', n)));
    assert.deepEqual(after.map(value), [10, 20, 30, 40]);
  });

  it('turns a recursion bomb into SANDBOX_ERROR (stack overflow), not a crash', async () => {
    failure(await sandbox.run('function f() { return f() + 1 } return f()', null), 'SANDBOX_ERROR', /stack overflow/);
    failure(
      await sandbox.run('const o = { get x() { return this.x } }; return o.x', null),
      'SANDBOX_ERROR',
      /stack overflow/,
    );
    // Moderate recursion still works.
    assert.equal(value(await sandbox.run('const f = (n) => n ? 1 + f(n - 1) : 0; return f(1000)', null)), 1000);
  });

  it('refuses an oversized result with SANDBOX_OUTPUT_TOO_LARGE (UTF-8 JSON bytes)', async () => {
    failure(await sandbox.run("return 'x'.repeat(300 * 1024)", null), 'SANDBOX_OUTPUT_TOO_LARGE', /256 KiB/);
    assert.equal(value(await sandbox.run("return 'x'.repeat(200 * 1024)", null)), 'x'.repeat(200 * 1024));
    // 100 two-byte characters: 102 UTF-16 units but 202 bytes of JSON.
    failure(await sandbox.run("return 'é'.repeat(100)", null, { maxOutputBytes: 150 }), 'SANDBOX_OUTPUT_TOO_LARGE');
  });
});

describe('sandbox: concurrency and lifecycle', () => {
  it('runs 20 evaluations concurrently, all correct, one runaway among them', async () => {
    const runs = Array.from({ length: 20 }, (_, n) =>
      sandbox.run('let s = 0; for (let i = 0; i < 10000; i++) s += i; console.log(input.n); return input.n * 2 + s', {
        n,
      }),
    );
    const runaway = sandbox.run('while (true) {}', null, { timeoutMs: 100 });
    const results = await Promise.all(runs);
    results.forEach((r, n) => {
      assert.equal(value(r), n * 2 + 49995000);
      assert.deepEqual(r.logs, [String(n)]);
    });
    failure(await runaway, 'SANDBOX_TIMEOUT');
  });

  it('costs a few milliseconds per run once warm', async (t) => {
    await sandbox.run('return 0', null);
    const n = 50;
    const started = performance.now();
    for (let i = 0; i < n; i++) assert.equal(value(await sandbox.run('return input + 1', i)), i + 1);
    const perRun = (performance.now() - started) / n;
    t.diagnostic(`sequential round trip: ${perRun.toFixed(2)} ms per run`);
    assert.ok(perRun < 50, `${perRun} ms per run`);
  });

  it('resolves queued and later runs after close, without throwing', async () => {
    const own = createSandbox({ poolSize: 1 });
    const pending = own.run('while (true) {}', null, { timeoutMs: 5000 });
    await own.close();
    const closed = await pending;
    failure(closed, 'SANDBOX_ERROR', /closed/);
    assert.equal(!closed.ok && closed.error.retryable, true);
    failure(await own.run('return 1', null), 'SANDBOX_ERROR', /closed/);
  });
});

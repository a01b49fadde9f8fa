// A preload (`node --import ./bench/sql-trace.mjs …`) that times every SQL statement a process
// sends, by statement, and writes a summary to $SQL_TRACE_OUT when the process exits. Used by
// `npm run bench:engine -- --trace-sql` to show where a phase's database time goes.
//
// - pg: each `Client.query`, from submission to its result (the pool's wait for a free client is
//   not included), labelled by prepared-statement name and text.
// - PGlite: each `query` / `exec` / `transaction`, timed inside PGlite's exclusive section (the
//   wait for the single session is not included), labelled by text; a transaction by its
//   statements. Relies on PGlite's `_runExclusiveTransaction`; without it, the time includes the
//   wait.
//
// Measurement only: it adds a few microseconds per statement. Off unless preloaded.
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

const out = process.env.SQL_TRACE_OUT;
const stats = new Map();
const record = (label, ms) => {
  const s = stats.get(label) ?? { calls: 0, totalMs: 0, maxMs: 0 };
  s.calls += 1;
  s.totalMs += ms;
  s.maxMs = Math.max(s.maxMs, ms);
  stats.set(label, s);
};
const squash = (text) => String(text).replace(/\s+/g, ' ').trim().slice(0, 120);

try {
  const { default: pg } = await import('pg');
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (config, values, callback) {
    const label =
      typeof config === 'string'
        ? squash(config)
        : config && typeof config.text === 'string'
          ? `${config.name ? `[${config.name}] ` : ''}${squash(config.text)}`
          : undefined;
    if (label === undefined) return query.call(this, config, values, callback);
    const started = performance.now();
    const done = () => record(label, performance.now() - started);
    const wrap = (fn) => (err, res) => {
      done();
      return fn(err, res);
    };
    if (typeof callback === 'function') callback = wrap(callback);
    else if (typeof values === 'function') values = wrap(values);
    else if (typeof config.callback === 'function') config.callback = wrap(config.callback);
    else {
      const result = query.call(this, config, values, callback);
      if (result && typeof result.then === 'function') result.then(done, done);
      return result;
    }
    return query.call(this, config, values, callback);
  };
} catch {
  // pg not installed: nothing to trace there.
}

try {
  const { PGlite } = await import('@electric-sql/pglite');
  const proto = PGlite.prototype;
  const current = new AsyncLocalStorage();
  const exclusive = proto._runExclusiveTransaction;
  const inside = typeof exclusive === 'function';
  if (inside) {
    proto._runExclusiveTransaction = function (fn) {
      const label = current.getStore();
      return exclusive.call(this, async () => {
        const started = performance.now();
        try {
          return await fn();
        } finally {
          if (label) record(typeof label === 'string' ? label : label.text(), performance.now() - started);
        }
      });
    };
  }
  const timed = (label, run) => {
    if (inside) return current.run(label, run);
    const started = performance.now();
    const done = () => record(typeof label === 'string' ? label : label.text(), performance.now() - started);
    const result = run();
    result.then(done, done);
    return result;
  };
  for (const method of ['query', 'exec']) {
    const original = proto[method];
    proto[method] = function (text, ...rest) {
      return timed(squash(text), () => original.call(this, text, ...rest));
    };
  }
  const transaction = proto.transaction;
  proto.transaction = function (callback) {
    const texts = [];
    const label = { text: () => `transaction: ${texts.join(' ; ')}`.slice(0, 300) };
    return timed(label, () =>
      transaction.call(this, (tx) => {
        const txQuery = tx.query.bind(tx);
        tx.query = (text, ...rest) => {
          texts.push(squash(text).slice(0, 60));
          return txQuery(text, ...rest);
        };
        return callback(tx);
      }),
    );
  };
} catch {
  // PGlite not installed: nothing to trace there.
}

const write = () => {
  if (!out) return;
  const rows = [...stats].sort((a, b) => b[1].totalMs - a[1].totalMs);
  const total = rows.reduce((sum, [, s]) => sum + s.totalMs, 0);
  const lines = rows.map(
    ([label, s]) =>
      `${s.totalMs.toFixed(0).padStart(9)} ms ${((100 * s.totalMs) / (total || 1)).toFixed(1).padStart(5)}% ` +
      `${String(s.calls).padStart(7)} calls  avg ${(s.totalMs / s.calls).toFixed(2).padStart(7)} ms  ` +
      `max ${s.maxMs.toFixed(1).padStart(7)} ms  ${label}`,
  );
  fs.writeFileSync(out, `statement time in total: ${total.toFixed(0)} ms\n${lines.join('\n')}\n`);
};
process.on('exit', write);

// Summarises a V8 .cpuprofile (from `--cpu-prof`): the share of samples by package, by function
// (self time) and by function including callees, optionally only over the last seconds of the
// profile (the measured load, without start-up) and with the callers of one function.
//
//   node bench/cpuprofile-summary.mjs <file.cpuprofile> [--last <s>] [--skip-end <s>] [--top <n>]
//        [--callers <function name>]
//
// The main thread's profile is the `…0.001.cpuprofile` file of a directory written by
// `npm run bench:engine -- --cpu-prof`; the phase's measured load is its last ~8.5 s (skip the
// last 0.3 s: shutdown).
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    last: { type: 'string' },
    'skip-end': { type: 'string' },
    top: { type: 'string', default: '30' },
    callers: { type: 'string' },
  },
});
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: node bench/cpuprofile-summary.mjs <file.cpuprofile> [--last <s>] [--top <n>]\n');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const top = Number(values.top);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

// Sample times are the start time plus the running sum of the deltas (microseconds).
const from = values.last ? profile.endTime - Number(values.last) * 1e6 : -Infinity;
const to = values['skip-end'] ? profile.endTime - Number(values['skip-end']) * 1e6 : Infinity;
const counts = new Map();
let t = profile.startTime;
let total = 0;
profile.samples.forEach((id, i) => {
  t += profile.timeDeltas[i] ?? 0;
  if (t < from || t > to) return;
  counts.set(id, (counts.get(id) ?? 0) + 1);
  total += 1;
});

const shortUrl = (url) =>
  url.replace(/^file:\/\/.*?\/node_modules\//, 'nm/').replace(/^file:\/\/\/.*?\/(src|bench)\//, '$1/');
const label = (cf) => `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
const packageOf = (cf) => {
  if (!cf.url) return cf.functionName.startsWith('(') ? cf.functionName : '(native)';
  const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(cf.url);
  if (m) return m[1];
  if (cf.url.startsWith('node:')) return cf.url.split('/')[0];
  if (cf.url.startsWith('wasm:')) return 'wasm';
  return shortUrl(cf.url).split('/').slice(0, 3).join('/');
};

const self = new Map();
const inclusive = new Map();
const packages = new Map();
const add = (map, key, n) => map.set(key, (map.get(key) ?? 0) + n);
for (const [id, n] of counts) {
  const cf = byId.get(id).callFrame;
  add(self, label(cf), n);
  add(packages, packageOf(cf), n);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parentOf.get(cur)) {
    const key = label(byId.get(cur).callFrame);
    if (!seen.has(key)) add(inclusive, key, n);
    seen.add(key);
  }
}

const pct = (n) => `${((100 * n) / (total || 1)).toFixed(1).padStart(5)} %`;
const print = (title, map, limit) => {
  process.stdout.write(`\n${title}\n`);
  for (const [key, n] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit))
    process.stdout.write(`${pct(n)}  ${key}\n`);
};
process.stdout.write(`${total} samples${values.last ? ` in the last ${values.last} s` : ''} of ${file}\n`);
print('by package (self)', packages, 20);
print('by function (self)', self, top);
print('by function (with callees)', inclusive, top);

if (values.callers) {
  const chains = new Map();
  for (const [id, n] of counts) {
    if ((byId.get(id).callFrame.functionName || '(anonymous)') !== values.callers) continue;
    const chain = [];
    for (let cur = parentOf.get(id); cur !== undefined && chain.length < 10; cur = parentOf.get(cur)) {
      chain.push(label(byId.get(cur).callFrame));
    }
    add(chains, chain.join(' < '), n);
  }
  print(`callers of ${values.callers}`, chains, 8);
}

import assert from 'node:assert/strict';
import { it } from 'node:test';
import pino from 'pino';
import { RunPoller } from './run-poller.ts';

/** The loop alone, over an in-memory backlog: its capacity rules, not the database's claim. */
function harness(concurrency: number) {
  const backlog: number[] = [];
  const started: number[] = [];
  const released: number[] = [];
  const finishers = new Map<number, () => void>();
  let running = 0;
  let maxRunning = 0;
  const poller = new RunPoller<number>({
    concurrency,
    pollMs: 20,
    logger: pino({ level: 'silent' }),
    claim: async (n) => ({ items: backlog.splice(0, n) }),
    handle: (item) =>
      new Promise<void>((resolve) => {
        started.push(item);
        running++;
        maxRunning = Math.max(maxRunning, running);
        finishers.set(item, () => {
          running--;
          resolve();
        });
      }),
    release: async (items) => {
      released.push(...items);
    },
  });
  const settle = () => new Promise((r) => setTimeout(r, 30));
  return { poller, backlog, started, released, finishers, settle, maxRunning: () => maxRunning };
}

it('never runs more than its concurrency, counting runs offered to it', async () => {
  const h = harness(2);
  h.backlog.push(1, 2, 3);
  h.poller.start();
  await h.settle();
  assert.deepEqual(h.started, [1, 2]);
  // Runs claimed for it while both slots are taken wait for a slot, in order.
  h.poller.offer([10, 11]);
  await h.settle();
  assert.deepEqual(h.started, [1, 2]);
  h.finishers.get(1)?.();
  await h.settle();
  assert.deepEqual(h.started, [1, 2, 10]);
  h.finishers.get(2)?.();
  await h.settle();
  assert.deepEqual(h.started, [1, 2, 10, 11]);
  assert.equal(h.maxRunning(), 2);
  // The backlog's third run waits until an offered one is done.
  h.finishers.get(10)?.();
  await h.settle();
  assert.deepEqual(h.started, [1, 2, 10, 11, 3]);
  for (const f of h.finishers.values()) f();
  await h.poller.close();
});

it('gives back runs offered to it but never started when it closes, and any offered after', async () => {
  const h = harness(1);
  h.backlog.push(1);
  h.poller.start();
  await h.settle();
  h.poller.offer([7, 8]);
  await h.poller.close();
  assert.deepEqual(h.started, [1]);
  assert.deepEqual(h.released, [7, 8]);
  h.poller.offer([9]);
  await h.settle();
  assert.deepEqual(h.released, [7, 8, 9]);
  assert.equal(h.poller.openSlots, 0);
  h.finishers.get(1)?.();
});

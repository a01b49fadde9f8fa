import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PermanentJobError, type QueueAdapter, type QueueMessage } from './queue.ts';

/**
 * The contract every queue adapter passes (`queue.ts`). An adapter's test file calls
 * `queueContract(label, setup)`; `setup` runs once for the suite and every test uses queues of
 * its own, so tests never see each other's messages.
 *
 * Timing: bounds are generous (a loaded 2-core CI machine), each test is bounded by a timeout, and
 * the only exact timing assertion is a correctness one: a delayed message is never delivered
 * before its time.
 */
export interface ContractTarget {
  adapter: QueueAdapter;
  /** A second, process-like adapter on the same backend (other connections, own maintenance). */
  newAdapter?: () => Promise<QueueAdapter>;
  /** Restarts the backend server; enables the reconnect test. */
  restartServer?: () => Promise<void>;
  /** Closes what setup opened (adapters included). */
  dispose(): Promise<void>;
}

const TEST_TIMEOUT = 15_000;
/** Maintenance interval given to every adapter of the suite. */
const MAINTENANCE_MS = 200;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `predicate` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

const queueName = () => `t.${randomBytes(6).toString('hex')}`;

/** A promise with its resolve function, to hold a handler until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/**
 * `restartable`: the backend has a server the suite can restart (`restartServer`); PGlite runs
 * in-process and has none, so the reconnect test is not declared for it.
 */
export function queueContract(
  label: string,
  setup: () => Promise<ContractTarget>,
  opts: { restartable: boolean } = { restartable: true },
): void {
  describe(`queue contract: ${label}`, () => {
    let target: ContractTarget;
    let adapter: QueueAdapter;
    /** Adapters from `newAdapter`, closed after each test that made one. */
    const extra: QueueAdapter[] = [];

    before(async () => {
      target = await setup();
      adapter = target.adapter;
      adapter.startMaintenance({ intervalMs: MAINTENANCE_MS });
    });
    after(async () => {
      await target?.dispose();
    });

    /** A second adapter on the same backend when the target offers one, else the same adapter. */
    async function second(): Promise<QueueAdapter> {
      if (!target.newAdapter) return adapter;
      const a = await target.newAdapter();
      a.startMaintenance({ intervalMs: MAINTENANCE_MS });
      extra.push(a);
      return a;
    }
    async function closeExtra(): Promise<void> {
      await Promise.all(extra.splice(0).map((a) => a.close({ timeoutMs: 2_000 })));
    }

    it('delivers an enqueued payload once, then forgets the message', { timeout: TEST_TIMEOUT }, async () => {
      const q = queueName();
      const payload = { hello: 'world', n: 42, list: [1, 'two', null], nested: { ok: true } };
      const { id, created } = await adapter.enqueue(q, payload);
      assert.equal(created, true);
      assert.equal(typeof id, 'string');
      assert.ok(id.length > 0);
      const seen: QueueMessage[] = [];
      const consumer = adapter.consume(q, async (m) => {
        seen.push(m);
      });
      try {
        await waitFor(() => seen.length === 1, 10_000, 'the delivery');
        await sleep(300);
        assert.equal(seen.length, 1, 'delivered once');
        const [m] = seen;
        assert.ok(m);
        assert.equal(m.id, id);
        assert.equal(m.queue, q);
        assert.deepEqual(m.payload, payload);
        assert.equal(m.attempt, 1);
        assert.equal(m.maxAttempts, 3, 'default maxAttempts');
        assert.equal(m.signal.aborted, false);
        await waitFor(
          async () => {
            const c = await adapter.counts(q);
            return c.waiting + c.delayed + c.active + c.dead === 0;
          },
          5_000,
          'the completed message to leave every state',
        );
      } finally {
        await consumer.close();
      }
    });

    it(
      'does not deliver a delayed message before its time, and delivers it after',
      { timeout: TEST_TIMEOUT },
      async () => {
        const q = queueName();
        const runAt = new Date(Date.now() + 1_500);
        await adapter.enqueue(q, { delayed: true }, { runAt });
        const deliveredAt: number[] = [];
        const consumer = adapter.consume(q, async () => {
          deliveredAt.push(Date.now());
        });
        try {
          await sleep(700);
          assert.equal(deliveredAt.length, 0, 'not delivered early');
          const c = await adapter.counts(q);
          assert.equal(c.delayed, 1);
          assert.equal(c.waiting, 0);
          await waitFor(() => deliveredAt.length === 1, 10_000, 'the delayed delivery');
          const [at] = deliveredAt;
          assert.ok(at !== undefined && at >= runAt.getTime() - 5, `delivered ${runAt.getTime() - (at ?? 0)} ms early`);
        } finally {
          await consumer.close();
        }
      },
    );

    it('delivers ready messages lower priority number first', { timeout: TEST_TIMEOUT }, async () => {
      const q = queueName();
      // Distinct priorities: the order among equal priorities is not part of the contract.
      const priorities = [5, undefined, 1_000_000, 2, 1];
      for (const [i, priority] of priorities.entries()) await adapter.enqueue(q, { i }, { priority });
      const order: number[] = [];
      const consumer = adapter.consume<{ i: number }>(
        q,
        async (m) => {
          order.push(m.payload.i);
        },
        { concurrency: 1 },
      );
      try {
        await waitFor(() => order.length === priorities.length, 10_000, 'all deliveries');
        // priority 0 (the default), 1, 2, 5, 1000000
        assert.deepEqual(order, [1, 4, 3, 0, 2]);
      } finally {
        await consumer.close();
      }
    });

    it('retries a failing message with backoff until it succeeds', { timeout: TEST_TIMEOUT }, async () => {
      const q = queueName();
      const backoff = { baseMs: 100, maxMs: 1_000, jitter: 0.5 };
      const { id } = await adapter.enqueue(q, { flaky: true }, { backoff });
      const seen: { attempt: number; at: number }[] = [];
      let succeeded = false;
      const consumer = adapter.consume(q, async (m) => {
        seen.push({ attempt: m.attempt, at: Date.now() });
        assert.equal(m.id, id);
        assert.equal(m.maxAttempts, 3);
        if (m.attempt < 3) throw new Error(`flaky ${m.attempt}`);
        succeeded = true;
      });
      try {
        await waitFor(() => succeeded, 10_000, 'the third attempt');
        assert.deepEqual(
          seen.map((s) => s.attempt),
          [1, 2, 3],
        );
        const [a, b, c] = seen.map((s) => s.at);
        assert.ok(a !== undefined && b !== undefined && c !== undefined);
        // Delays before attempts 2 and 3: base and twice base, each randomised down by up to half.
        assert.ok(b - a >= 50 - 10, `2nd attempt ${b - a} ms after the 1st`);
        assert.ok(c - b >= 100 - 10, `3rd attempt ${c - b} ms after the 2nd`);
        await waitFor(
          async () => {
            const n = await adapter.counts(q);
            return n.waiting + n.delayed + n.active + n.dead === 0;
          },
          5_000,
          'the message to be done',
        );
      } finally {
        await consumer.close();
      }
    });

    it(
      'dead-letters a message after maxAttempts, and retryDead delivers it again',
      { timeout: TEST_TIMEOUT },
      async () => {
        const q = queueName();
        const before = Date.now();
        const { id } = await adapter.enqueue(
          q,
          { doomed: true },
          { maxAttempts: 2, backoff: { baseMs: 50, maxMs: 100, jitter: 0 } },
        );
        const seen: number[] = [];
        let fail = true;
        const consumer = adapter.consume(q, async (m) => {
          seen.push(m.attempt);
          if (fail) throw new Error(`boom on attempt ${m.attempt}`);
        });
        try {
          await waitFor(async () => (await adapter.deadLetters(q)).length === 1, 10_000, 'the dead letter');
          const [dead] = await adapter.deadLetters(q);
          assert.ok(dead);
          assert.equal(dead.id, id);
          assert.equal(dead.queue, q);
          assert.deepEqual(dead.payload, { doomed: true });
          assert.equal(dead.attempts, 2);
          assert.match(dead.error ?? '', /boom on attempt 2/);
          assert.ok(dead.failedAt instanceof Date);
          assert.ok(dead.failedAt.getTime() >= before - 1_000 && dead.failedAt.getTime() <= Date.now() + 1_000);
          const counts = await adapter.counts(q);
          assert.deepEqual(counts, { waiting: 0, delayed: 0, active: 0, dead: 1 });
          await sleep(300);
          assert.deepEqual(seen, [1, 2], 'no delivery after the last attempt');

          fail = false;
          assert.equal(await adapter.retryDead(q, id), true);
          await waitFor(() => seen.length === 3, 10_000, 'the delivery after retryDead');
          assert.equal(seen[2], 1, 'attempts start over');
          await waitFor(
            async () => (await adapter.counts(q)).dead === 0 && (await adapter.deadLetters(q)).length === 0,
            5_000,
            'the dead letter to be gone',
          );
          assert.equal(await adapter.retryDead(q, id), false, 'no longer dead');
          assert.equal(await adapter.retryDead(q, 'no-such-message'), false);
        } finally {
          await consumer.close();
        }
      },
    );

    it('dead-letters at once on PermanentJobError', { timeout: TEST_TIMEOUT }, async () => {
      const q = queueName();
      const { id } = await adapter.enqueue(q, { bad: 'input' }, { maxAttempts: 5 });
      let deliveries = 0;
      const consumer = adapter.consume(q, async () => {
        deliveries++;
        throw new PermanentJobError('input can never work');
      });
      try {
        await waitFor(async () => (await adapter.counts(q)).dead === 1, 10_000, 'the dead letter');
        const [dead] = await adapter.deadLetters(q);
        assert.equal(dead?.id, id);
        assert.equal(dead?.attempts, 1);
        assert.match(dead?.error ?? '', /input can never work/);
        await sleep(300);
        assert.equal(deliveries, 1);
      } finally {
        await consumer.close();
      }
    });

    it('renews the lease while a handler runs longer than the lease', { timeout: TEST_TIMEOUT }, async () => {
      const q = queueName();
      const other = await second();
      // Renewals come every third of a lease; 2 s leaves room for a renewal delayed by a loaded
      // machine (800 ms lost a lease once in CI with the browser suite running beside it).
      const leaseMs = 2000;
      const seen: QueueMessage[] = [];
      const handler = async (m: QueueMessage) => {
        seen.push(m);
        await sleep(leaseMs * 3);
      };
      const c1 = adapter.consume(q, handler, { leaseMs });
      const c2 = other.consume(q, handler, { leaseMs });
      try {
        await adapter.enqueue(q, { long: true });
        await waitFor(() => seen.length === 1, 10_000, 'the delivery');
        await waitFor(
          async () => {
            const c = await adapter.counts(q);
            return c.waiting + c.delayed + c.active + c.dead === 0;
          },
          10_000,
          'the message to complete',
        );
        assert.equal(seen.length, 1, 'not delivered again while its handler was running');
        assert.equal(seen[0]?.signal.aborted, false);
      } finally {
        await Promise.all([c1.close(), c2.close()]);
        await closeExtra();
      }
    });

    it(
      'delivers a message again once the lease of an abandoned delivery expires',
      { timeout: TEST_TIMEOUT },
      async () => {
        const q = queueName();
        const other = await second();
        const leaseMs = 800;
        const stuck = gate();
        const first: QueueMessage[] = [];
        const c1 = adapter.consume(
          q,
          async (m) => {
            first.push(m);
            await stuck.promise;
          },
          { leaseMs },
        );
        const again: QueueMessage[] = [];
        let c2: ReturnType<QueueAdapter['consume']> | undefined;
        try {
          const { id } = await adapter.enqueue(q, { crash: 'me' });
          await waitFor(() => first.length === 1, 10_000, 'the first delivery');
          assert.equal(first[0]?.attempt, 1);
          // The first consumer "crashes": it lets go of its delivery without finishing it.
          await c1.close({ drain: false });
          assert.equal(first[0]?.signal.aborted, true, 'the abandoned handler is told to stop');
          c2 = other.consume(
            q,
            async (m) => {
              again.push(m);
            },
            { leaseMs },
          );
          await waitFor(() => again.length === 1, 12_000, 'the redelivery');
          const [m] = again;
          assert.equal(m?.id, id);
          assert.equal(m?.attempt, 2);
          assert.deepEqual(m?.payload, { crash: 'me' });
          // The abandoned handler finishing late changes nothing.
          stuck.open();
          await sleep(300);
          assert.equal(again.length, 1);
          assert.equal(first.length, 1);
        } finally {
          stuck.open();
          await c1.close();
          await c2?.close();
          await closeExtra();
        }
      },
    );

    it('dead-letters a message whose lease expires on its last attempt', { timeout: TEST_TIMEOUT }, async () => {
      const q = queueName();
      const other = await second();
      const leaseMs = 800;
      const stuck = gate();
      let first = 0;
      const c1 = adapter.consume(
        q,
        async () => {
          first++;
          await stuck.promise;
        },
        { leaseMs },
      );
      let again = 0;
      let c2: ReturnType<QueueAdapter['consume']> | undefined;
      try {
        const { id } = await adapter.enqueue(q, { once: true }, { maxAttempts: 1 });
        await waitFor(() => first === 1, 10_000, 'the delivery');
        await c1.close({ drain: false });
        c2 = other.consume(
          q,
          async () => {
            again++;
          },
          { leaseMs },
        );
        await waitFor(async () => (await adapter.counts(q)).dead === 1, 12_000, 'the dead letter');
        const [dead] = await adapter.deadLetters(q);
        assert.equal(dead?.id, id);
        assert.equal(dead?.attempts, 1);
        assert.match(dead?.error ?? '', /lease/);
        await sleep(300);
        assert.equal(again, 0, 'a crash counts as an attempt: no delivery past maxAttempts');
      } finally {
        stuck.open();
        await c1.close();
        await c2?.close();
        await closeExtra();
      }
    });

    it('cancels waiting and delayed messages, not active or unknown ones', { timeout: TEST_TIMEOUT }, async () => {
      const q = queueName();
      const runAt = new Date(Date.now() + 1_000);
      const delayed = await adapter.enqueue(q, { which: 'delayed' }, { runAt });
      const waiting = await adapter.enqueue(q, { which: 'waiting' });
      assert.equal(await adapter.cancel(q, delayed.id), true);
      assert.equal(await adapter.cancel(q, waiting.id), true);
      assert.equal(await adapter.cancel(q, delayed.id), false, 'already cancelled');
      assert.equal(await adapter.cancel(q, 'no-such-message'), false);
      assert.deepEqual(await adapter.counts(q), { waiting: 0, delayed: 0, active: 0, dead: 0 });

      const hold = gate();
      const seen: unknown[] = [];
      const consumer = adapter.consume(q, async (m) => {
        seen.push(m.payload);
        await hold.promise;
      });
      try {
        const active = await adapter.enqueue(q, { which: 'active' });
        await waitFor(() => seen.length === 1, 10_000, 'the active delivery');
        assert.equal(await adapter.cancel(q, active.id), false, 'active messages are not cancelled');
        hold.open();
        // Past the cancelled message's time: it never comes.
        await sleep(Math.max(0, runAt.getTime() - Date.now()) + 700);
        assert.deepEqual(seen, [{ which: 'active' }]);
      } finally {
        hold.open();
        await consumer.close();
      }
    });

    it('keeps one live message per idempotency key', { timeout: TEST_TIMEOUT }, async () => {
      const q = queueName();
      const key = `order:${randomBytes(4).toString('hex')}:with spaces & symbols/…`;
      const a = await adapter.enqueue(q, { n: 1 }, { idempotencyKey: key });
      const b = await adapter.enqueue(q, { n: 2 }, { idempotencyKey: key });
      assert.equal(a.created, true);
      assert.equal(b.created, false);
      assert.equal(b.id, a.id);
      const other = await adapter.enqueue(q, { n: 3 }, { idempotencyKey: `${key}-other` });
      assert.equal(other.created, true);
      assert.notEqual(other.id, a.id);

      const seen: unknown[] = [];
      const consumer = adapter.consume(q, async (m) => {
        seen.push(m.payload);
      });
      try {
        await waitFor(() => seen.length === 2, 10_000, 'the deliveries');
        await sleep(300);
        assert.deepEqual(
          seen.map((p) => (p as { n: number }).n).sort(),
          [1, 3],
          'the first payload, once; the duplicate was never enqueued',
        );
        await waitFor(
          async () => {
            const c = await adapter.counts(q);
            return c.waiting + c.delayed + c.active + c.dead === 0;
          },
          5_000,
          'both messages to complete',
        );
        // Finished messages free their key.
        const c = await adapter.enqueue(q, { n: 4 }, { idempotencyKey: key });
        assert.equal(c.created, true);
        await waitFor(() => seen.length === 3, 10_000, 'the delivery after the key was freed');
        assert.deepEqual(seen[2], { n: 4 });
      } finally {
        await consumer.close();
      }

      // A dead message still holds its key.
      const d = await adapter.enqueue(q, { n: 5 }, { idempotencyKey: `${key}-dead`, maxAttempts: 1 });
      const failing = adapter.consume(q, async () => {
        throw new Error('no');
      });
      try {
        await waitFor(async () => (await adapter.counts(q)).dead === 1, 10_000, 'the dead letter');
      } finally {
        await failing.close();
      }
      const e = await adapter.enqueue(q, { n: 6 }, { idempotencyKey: `${key}-dead` });
      assert.deepEqual(e, { id: d.id, created: false });
    });

    it('enqueues a cron schedule every tick until unscheduled', { timeout: TEST_TIMEOUT }, async () => {
      const q = queueName();
      const seen: unknown[] = [];
      const consumer = adapter.consume(q, async (m) => {
        seen.push(m.payload);
      });
      try {
        await adapter.schedule(q, 'every-second', { cron: '* * * * * *' }, { tick: true });
        await waitFor(() => seen.length >= 2, 6_000, 'two ticks');
        assert.deepEqual(seen[0], { tick: true });
        assert.equal(await adapter.unschedule(q, 'every-second'), true);
        await sleep(300);
        const n = seen.length;
        await sleep(1_800);
        assert.ok(seen.length <= n + 1, `${seen.length - n} ticks after unschedule`);
        assert.equal(await adapter.unschedule(q, 'every-second'), false);
      } finally {
        await consumer.close();
      }
    });

    it('fires each cron tick once with two schedulers running', { timeout: TEST_TIMEOUT }, async () => {
      const q = queueName();
      const other = await second();
      let deliveries = 0;
      const handler = async () => {
        deliveries++;
      };
      const c1 = adapter.consume(q, handler);
      const c2 = other.consume(q, handler);
      try {
        const start = Date.now();
        // Both "processes" register the schedule at boot, as they would.
        await Promise.all([
          adapter.schedule(q, 'tick', { cron: '* * * * * *', timezone: 'Europe/Paris' }, { t: 1 }),
          other.schedule(q, 'tick', { cron: '* * * * * *', timezone: 'Europe/Paris' }, { t: 1 }),
        ]);
        await sleep(4_000);
        await adapter.unschedule(q, 'tick');
        const elapsedSec = (Date.now() - start) / 1_000;
        await sleep(500);
        assert.ok(deliveries >= 2, `${deliveries} deliveries`);
        assert.ok(
          deliveries <= Math.ceil(elapsedSec) + 1,
          `${deliveries} deliveries in ${elapsedSec.toFixed(1)} s: some tick fired twice`,
        );
      } finally {
        await Promise.all([c1.close(), c2.close()]);
        await closeExtra();
      }
    });

    it('drains on close: waits for handlers in flight and takes nothing new', { timeout: TEST_TIMEOUT }, async () => {
      const q = queueName();
      const started: QueueMessage[] = [];
      let finished = 0;
      const consumer = adapter.consume(q, async (m) => {
        started.push(m);
        await sleep(800);
        finished++;
      });
      await adapter.enqueue(q, { n: 1 });
      await waitFor(() => started.length === 1, 10_000, 'the delivery');
      await consumer.close();
      assert.equal(finished, 1, 'close waited for the handler');
      assert.equal(started[0]?.signal.aborted, false);
      await adapter.enqueue(q, { n: 2 });
      await sleep(1_000);
      assert.equal(started.length, 1, 'nothing taken after close');
      const c = await adapter.counts(q);
      assert.equal(c.waiting, 1);
      assert.equal(c.active, 0);
    });

    it('abandons handlers that outlast the drain timeout', { timeout: TEST_TIMEOUT }, async () => {
      const q = queueName();
      const hold = gate();
      const started: QueueMessage[] = [];
      const consumer = adapter.consume(q, async (m) => {
        started.push(m);
        await hold.promise;
      });
      try {
        await adapter.enqueue(q, { slow: true });
        await waitFor(() => started.length === 1, 10_000, 'the delivery');
        const t0 = Date.now();
        await consumer.close({ drain: true, timeoutMs: 300 });
        const took = Date.now() - t0;
        assert.ok(took >= 250, `close returned after ${took} ms, before the timeout`);
        assert.ok(took < 5_000, `close took ${took} ms`);
        assert.equal(started[0]?.signal.aborted, true, 'the abandoned handler is told to stop');
      } finally {
        hold.open();
      }
    });

    if (opts.restartable)
      it('keeps working after the server restarts', { timeout: TEST_TIMEOUT }, async () => {
        if (!target.restartServer) throw new Error('a restartable target must provide restartServer');
        const q = queueName();
        const seen: unknown[] = [];
        const consumer = adapter.consume(q, async (m) => {
          seen.push(m.payload);
        });
        try {
          await adapter.enqueue(q, { n: 1 });
          await waitFor(() => seen.length === 1, 10_000, 'the delivery before the restart');
          await target.restartServer();
          await adapter.enqueue(q, { n: 2 });
          await waitFor(() => seen.length === 2, 10_000, 'the delivery after the restart');
          assert.deepEqual(seen, [{ n: 1 }, { n: 2 }]);
        } finally {
          await consumer.close({ timeoutMs: 5_000 });
        }
      });
  });
}

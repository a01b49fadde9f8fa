import type { Logger } from 'pino';

/**
 * The worker loop of the engine's `table` dispatch (the `postgres` queue adapter): the `runs`
 * table is the queue. Each turn claims up to the free capacity in one statement, hands each run
 * to the engine, and sleeps until woken (a run recorded or made due in this process, a NOTIFY
 * from another one, a run finishing here) or until the next timed wake-up, at most `pollMs`.
 */
export interface RunPollerDeps<T> {
  concurrency: number;
  pollMs: number;
  logger: Logger;
  /** Claims up to `n` due runs; `nextDueMs` is how long until the next one becomes due, if known. */
  claim(n: number): Promise<{ items: T[]; nextDueMs?: number | undefined }>;
  handle(item: T): Promise<unknown>;
  /** Gives back runs offered to this worker but never started (on close). */
  release?(items: T[]): Promise<void>;
}

export class RunPoller<T> {
  private closed = false;
  private inFlight = 0;
  /** Claimed for this worker elsewhere (`offer`), waiting for a free slot. */
  private buffer: T[] = [];
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private pendingWake = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: RunPollerDeps<T>) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Claim again now (or at `at`, for a timed wake-up this process knows about). */
  wake(at?: Date): void {
    const delay = at ? at.getTime() - Date.now() : 0;
    if (delay > 0) {
      // A timer per wake-up, so a delay of 50 ms resumes in 50 ms, not at the next poll.
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.wake();
      }, delay + 1);
      t.unref();
      this.timers.add(t);
      return;
    }
    this.pendingWake = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      this.pendingWake = false;
      const free = this.deps.concurrency - this.inFlight - this.buffer.length;
      let claimed = 0;
      let nextDue: number | undefined;
      if (free > 0) {
        try {
          const { items, nextDueMs } = await this.deps.claim(free);
          claimed = items.length;
          nextDue = nextDueMs;
          for (const item of items) this.dispatch(item);
        } catch (err) {
          this.deps.logger.warn({ err }, 'run claim failed; retrying');
        }
      }
      if (this.closed) break;
      // A full batch: there may be more due right now.
      const room = this.inFlight + this.buffer.length < this.deps.concurrency;
      if (claimed > 0 && claimed === free && room) continue;
      if (this.pendingWake && room) continue;
      const wait = Math.max(2, Math.min(this.deps.pollMs, nextDue ?? this.deps.pollMs));
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        timer = setTimeout(resolve, wait);
      });
      clearTimeout(timer);
      this.wakeUp = undefined;
    }
  }

  /**
   * Runs claimed on this worker's behalf by the statement that ended the runs whose slots they
   * take (the engine's finish-and-claim): each starts as soon as one of those slots is free.
   */
  offer(items: T[]): void {
    if (this.closed) {
      void this.deps.release?.(items);
      return;
    }
    this.buffer.push(...items);
    this.startBuffered();
  }

  private startBuffered(): void {
    while (this.inFlight < this.deps.concurrency && this.buffer.length) this.dispatch(this.buffer.shift() as T);
  }

  private dispatch(item: T): void {
    this.inFlight++;
    void this.deps
      .handle(item)
      .catch((err: unknown) => this.deps.logger.error({ err }, 'run execution failed'))
      .finally(() => {
        this.inFlight--;
        if (!this.closed) this.startBuffered();
        this.wake();
      });
  }

  /** Slots that will free once the runs now ending have ended, for the finish-and-claim. */
  get openSlots(): number {
    return this.closed ? 0 : this.deps.concurrency - this.buffer.length;
  }

  /** Stops claiming. In-flight runs are the engine's to wait for (it tracks them). */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.wakeUp?.();
    await this.loop;
    // Offered but never started: the engine gives them back (their leases would otherwise expire).
    const unstarted = this.buffer;
    this.buffer = [];
    if (unstarted.length) await this.deps.release?.(unstarted);
  }
}

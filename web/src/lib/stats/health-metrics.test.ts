import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSeconds, formatUptime, summarizeMetrics } from './health-metrics';
import { parsePrometheus } from './prometheus';

const scrape = (requests: number, cpu: number) =>
  parsePrometheus(`
http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/items",status_code="200"} ${requests - 10}
http_request_duration_seconds_bucket{le="0.05",method="GET",route="/api/v1/items",status_code="200"} ${requests}
http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/v1/items",status_code="200"} ${requests}
http_request_duration_seconds_count{method="GET",route="/api/v1/items",status_code="200"} ${requests}
http_request_duration_seconds_count{method="GET",route="/api/v1/items",status_code="503"} 5
http_request_duration_seconds_bucket{le="0.005",method="GET",route="/health/ready",status_code="200"} 0
http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/health/ready",status_code="200"} 1000
http_request_duration_seconds_count{method="GET",route="/health/ready",status_code="200"} 1000
http_request_duration_seconds_count{method="GET",route="/metrics",status_code="200"} 1000
process_cpu_seconds_total ${cpu}
process_start_time_seconds 1000
process_resident_memory_bytes 104857600
nodejs_heap_size_used_bytes 50
nodejs_heap_size_total_bytes 100
nodejs_eventloop_lag_p99_seconds 0.011
nodejs_version_info{version="v22.3.0"} 1
switchyard_queue_depth{queue="default"} 7
`);

describe('summarizeMetrics', () => {
  it('reads gauges from one scrape and leaves the probes out of the traffic figures', () => {
    const m = summarizeMetrics(scrape(100, 2), { nowMs: 4_600_000 });
    assert.equal(m.requestsTotal, 105);
    assert.equal(m.requestRate, undefined, 'no rate from a single scrape');
    assert.ok(Math.abs((m.serverErrorShare ?? 0) - 5 / 105) < 1e-9);
    // 90 of 100 under 5 ms: the median is interpolated inside the first bucket.
    assert.ok(Math.abs((m.latencyP50Seconds ?? 0) - (0.005 * 50) / 90) < 1e-9);
    assert.equal(m.residentMemoryBytes, 104857600);
    assert.equal(m.eventLoopLagP99Seconds, 0.011);
    assert.equal(m.uptimeSeconds, 3600);
    assert.equal(m.nodeVersion, 'v22.3.0');
    assert.deepEqual(m.queues, { switchyard_queue_depth: 7 });
  });

  it('reads the engine figures and the last backup when the process exports them, and none when not', () => {
    const engine = parsePrometheus(`
switchyard_runs_finished_total{status="succeeded"} 40
switchyard_runs_finished_total{status="failed"} 2
switchyard_runs_finished_total{status="cancelled"} 1
switchyard_queue_oldest_age_seconds{queue="runs"} 12.5
switchyard_queue_oldest_age_seconds{queue="jobs"} 99
switchyard_runs_stuck 0
switchyard_step_retries_total{kind="http"} 3
switchyard_step_retries_total{kind="code"} 1
switchyard_lease_expiries_total{queue="runs"} 1
switchyard_worker_busy_slots 6
switchyard_worker_concurrency 8
switchyard_outbox_lag_seconds{outbox="events"} 1.5
switchyard_backup_last_success_timestamp_seconds 4000
switchyard_backup_failures_total 0
`);
    const m = summarizeMetrics(engine, { nowMs: 4_600_000 });
    assert.deepEqual(m.engine, {
      runsSucceeded: 40,
      runsFailed: 2,
      oldestWaitingSeconds: 12.5,
      stuckRuns: 0,
      stepRetries: 4,
      leaseExpiries: 1,
      workerSaturation: 0.75,
      eventRelayLagSeconds: 1.5,
    });
    assert.equal(m.lastBackupAgeSeconds, 600);
    assert.equal(m.backupFailures, 0);

    const none = summarizeMetrics(scrape(100, 2));
    assert.equal(none.engine.runsSucceeded, undefined);
    assert.equal(none.engine.workerSaturation, undefined, 'no worker role: no saturation');
    assert.equal(none.lastBackupAgeSeconds, undefined);
  });

  it('turns counters into rates between two scrapes', () => {
    const m = summarizeMetrics(scrape(200, 3), { previous: scrape(100, 2), intervalSeconds: 10 });
    assert.equal(m.requestRate, 10);
    assert.equal(m.cpuShare, 0.1);
  });
});

describe('formatting', () => {
  it('reads latencies and uptimes the way people say them', () => {
    assert.equal(formatSeconds(0.0123), '12 ms');
    assert.equal(formatSeconds(0.0004), '0.40 ms');
    assert.equal(formatSeconds(2.345), '2.3 s');
    assert.equal(formatSeconds(undefined), '—');
    assert.equal(formatUptime(42), '42 s');
    assert.equal(formatUptime(3 * 3600 + 120), '3 h 2 min');
    assert.equal(formatUptime(2 * 86400 + 3600 * 5), '2 d 5 h');
  });
});

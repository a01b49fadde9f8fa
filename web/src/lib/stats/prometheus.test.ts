import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { histogramQuantile, labelOf, parsePrometheus, ratePerSecond, sumOf } from './prometheus';

const TEXT = `# HELP http_request_duration_seconds HTTP request duration
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.01",method="GET",route="/a",status_code="200"} 5
http_request_duration_seconds_bucket{le="0.1",method="GET",route="/a",status_code="200"} 9
http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/a",status_code="200"} 10
http_request_duration_seconds_bucket{le="0.01",method="POST",route="/b",status_code="500"} 0
http_request_duration_seconds_bucket{le="0.1",method="POST",route="/b",status_code="500"} 0
http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/b",status_code="500"} 10
http_request_duration_seconds_sum{method="GET",route="/a",status_code="200"} 0.4
http_request_duration_seconds_count{method="GET",route="/a",status_code="200"} 10
http_request_duration_seconds_count{method="POST",route="/b",status_code="500"} 10
process_resident_memory_bytes 123456789
nodejs_eventloop_lag_p99_seconds 0.0123 1700000000000
nodejs_version_info{version="v22.1.0",major="22"} 1
odd_label{path="a \\"quoted\\" \\\\ value"} 2
broken{oops 1
not_a_number NaNx
`;

describe('parsePrometheus', () => {
  const scrape = parsePrometheus(TEXT);

  it('reads samples with labels, escapes and timestamps, skipping comments and malformed lines', () => {
    assert.equal(sumOf(scrape, 'process_resident_memory_bytes'), 123456789);
    assert.equal(sumOf(scrape, 'nodejs_eventloop_lag_p99_seconds'), 0.0123);
    assert.equal(labelOf(scrape, 'nodejs_version_info', 'version'), 'v22.1.0');
    assert.equal(labelOf(scrape, 'odd_label', 'path'), 'a "quoted" \\ value');
    assert.equal(scrape.has('broken'), false);
    assert.equal(scrape.has('not_a_number'), false);
  });

  it('sums a metric over its series, or only those whose labels match', () => {
    assert.equal(sumOf(scrape, 'http_request_duration_seconds_count'), 20);
    assert.equal(sumOf(scrape, 'http_request_duration_seconds_count', { status_code: /^5/ }), 10);
    assert.equal(sumOf(scrape, 'http_request_duration_seconds_count', { route: '/a' }), 10);
    assert.equal(sumOf(scrape, 'missing_metric'), undefined);
  });
});

describe('histogramQuantile', () => {
  const scrape = parsePrometheus(TEXT);

  it('interpolates inside the bucket that holds the rank', () => {
    // Route /a only: 5 of 10 under 10 ms, 9 under 100 ms; the median is the 10 ms bound.
    assert.equal(histogramQuantile(scrape, 'http_request_duration_seconds', 0.5, { route: '/a' }), 0.01);
    const p70 = histogramQuantile(scrape, 'http_request_duration_seconds', 0.7, { route: '/a' }) ?? NaN;
    assert.ok(Math.abs(p70 - 0.055) < 1e-9, String(p70));
  });

  it('answers the highest finite bound when the rank falls in +Inf, and undefined with no data', () => {
    assert.equal(histogramQuantile(scrape, 'http_request_duration_seconds', 0.99), 0.1);
    assert.equal(histogramQuantile(scrape, 'nothing_here', 0.5), undefined);
  });
});

describe('ratePerSecond', () => {
  it('divides the increase by the interval, and gives up on a reset or a missing value', () => {
    assert.equal(ratePerSecond(100, 150, 10), 5);
    assert.equal(ratePerSecond(100, 50, 10), undefined);
    assert.equal(ratePerSecond(undefined, 50, 10), undefined);
    assert.equal(ratePerSecond(1, 2, 0), undefined);
  });
});

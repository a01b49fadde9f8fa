import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasFilters, readRunFilters, runQuery, toggle, writeRunFilters } from './run-filters.ts';

const WF = 'wfl_01m96kws037f70vtk0mf6h10zt';

describe('run filters', () => {
  it('round-trips through the URL and keeps other parameters', () => {
    const params = new URLSearchParams(`x=1&status=failed&status=bogus&status=failed&workflow=${WF}&range=24h`);
    const f = readRunFilters(params);
    assert.deepEqual(f, { statuses: ['failed'], workflowId: WF, range: '24h' });
    assert.equal(writeRunFilters(params, f).toString(), `x=1&status=failed&workflow=${WF}&range=24h`);
    assert.equal(writeRunFilters(params, { statuses: [], workflowId: undefined, range: 'all' }).toString(), 'x=1');
  });

  it('drops what the API would refuse', () => {
    assert.deepEqual(readRunFilters(new URLSearchParams('workflow=nope&range=forever')), {
      statuses: [],
      workflowId: undefined,
      range: 'all',
    });
  });

  it('builds the API query with `from` against the given clock', () => {
    const now = Date.parse('2026-01-02T00:00:00Z');
    assert.deepEqual(runQuery({ statuses: ['running'], workflowId: WF, range: '24h' }, now), {
      status: ['running'],
      workflowId: WF,
      from: '2026-01-01T00:00:00.000Z',
    });
    assert.deepEqual(runQuery({ statuses: [], workflowId: undefined, range: 'all' }, now), {});
    assert.equal(hasFilters({ statuses: [], workflowId: undefined, range: '1h' }), true);
    assert.deepEqual(toggle(['a', 'b'], 'a'), ['b']);
  });
});

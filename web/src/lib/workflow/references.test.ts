import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { suggestReferences, upstreamSteps } from './references';

const edges = [
  { from: 'a', to: 'b' },
  { from: 'b', to: 'c', when: 'true' },
  { from: 'x', to: 'c' },
  { from: 'c', to: 'd' },
];

describe('reference autocomplete', () => {
  it('computes the upstream steps, nearest first, and only those', () => {
    assert.deepEqual(upstreamSteps('d', edges), ['c', 'b', 'x', 'a']);
    assert.deepEqual(upstreamSteps('a', edges), []);
    assert.deepEqual(upstreamSteps('b', edges), ['a']);
    // A cycle (invalid) terminates and never lists the step itself.
    assert.deepEqual(upstreamSteps('a', [...edges, { from: 'd', to: 'a' }]), ['d', 'c', 'b', 'x']);
  });

  it('offers upstream outputs after `steps.`, filtered by what is typed', () => {
    const ctx = { upstream: ['c', 'b', 'charge'], trigger: 'webhook' as const };
    const s = suggestReferences('$sum(steps.', 11, ctx);
    assert.deepEqual(
      s.map((x) => x.insert),
      ['steps.c.output', 'steps.b.output', 'steps.charge.output'],
    );
    assert.equal(s[0]?.from, 5);
    assert.deepEqual(
      suggestReferences('steps.ch', 8, ctx).map((x) => x.label),
      ['steps.charge.output'],
    );
  });

  it('offers the trigger members of the trigger type', () => {
    const webhook = suggestReferences('trigger.', 8, { upstream: [], trigger: 'webhook' });
    assert.deepEqual(
      webhook.map((x) => x.insert),
      ['trigger.body', 'trigger.headers', 'trigger.query'],
    );
    assert.deepEqual(
      suggestReferences('trigger.f', 9, { upstream: [], trigger: 'schedule' }).map((x) => x.insert),
      ['trigger.firedAt'],
    );
  });

  it('offers both inside a new `{{` template and closes it', () => {
    const s = suggestReferences('Hi {{', 5, { upstream: ['a'], trigger: 'manual' });
    assert.deepEqual(
      s.map((x) => x.insert),
      [' steps.a.output }}', ' trigger.body }}', ' trigger.startedBy }}'],
    );
    assert.equal(s[0]?.from, 5);
    assert.deepEqual(suggestReferences('plain text', 10, { upstream: ['a'], trigger: 'manual' }), []);
  });
});

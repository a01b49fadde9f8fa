import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser } from './sse.ts';

describe('SseParser', () => {
  it('yields whole events, keeps a partial one for the next chunk, and reports heartbeats', () => {
    const p = new SseParser();
    assert.deepEqual(p.push('event: run\ndata: {"a":'), []);
    assert.deepEqual(p.push('1}\n\n: heartbeat\n\nevent: end\r\ndata: {}\r\n\r\n'), [
      { event: 'run', data: '{"a":1}' },
      { comment: 'heartbeat' },
      { event: 'end', data: '{}' },
    ]);
  });

  it('names an event without `event:` "message" and joins multi-line data', () => {
    assert.deepEqual(new SseParser().push('data: one\ndata: two\n\n'), [{ event: 'message', data: 'one\ntwo' }]);
  });
});

// Follows GET /runs/:id/events while a run is live and writes each snapshot into the run's query
// cache, so the page re-renders as steps advance. The stream is read with fetch (EventSource
// cannot send the bearer header). If it fails, the page falls back to polling.
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { authorizedFetch, type Schemas } from '../../api/client';
import { SseParser } from '../../lib/runs/sse';
import { runKeys } from './queries';

/** `live`: the stream is open; `polling`: it failed, the page polls; `idle`: nothing to follow. */
export type StreamState = 'connecting' | 'live' | 'polling' | 'idle';

export function useRunStream(runId: string, enabled: boolean): StreamState {
  const client = useQueryClient();
  const [state, setState] = useState<StreamState>('idle');

  useEffect(() => {
    if (!enabled) {
      setState('idle');
      return;
    }
    const controller = new AbortController();
    let stopped = false;
    const follow = async () => {
      // Reconnects when the server closes at its time limit; gives up (polling) on a failure.
      while (!stopped) {
        setState('connecting');
        const res = await authorizedFetch(`/api/v1/runs/${runId}/events`, {
          headers: { accept: 'text/event-stream' },
          signal: controller.signal,
        });
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        setState('live');
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new SseParser();
        let finished = false;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const m of parser.push(value)) {
            if (!('event' in m)) continue;
            if (m.event === 'run')
              client.setQueryData(runKeys.detail(runId), JSON.parse(m.data) as Schemas['RunDetail']);
            if (m.event === 'end') finished = (JSON.parse(m.data) as { reason?: string }).reason === 'finished';
            if (m.event === 'error') throw new Error('the stream reported an error');
          }
        }
        if (finished) break;
      }
    };
    follow()
      .then(() => {
        if (!stopped) setState('idle');
        // Lists elsewhere show this run too: refresh them now it has ended.
        void client.invalidateQueries({ queryKey: runKeys.all, predicate: (q) => q.queryKey[1] !== 'detail' });
      })
      .catch(() => {
        if (!stopped) setState('polling');
      });
    return () => {
      stopped = true;
      controller.abort();
    };
  }, [runId, enabled, client]);

  return state;
}

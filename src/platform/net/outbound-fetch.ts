import net from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import {
  assertOutboundUrl,
  classifyAddress,
  guardedLookup,
  isAllowListed,
  OutboundUrlError,
  type OutboundPolicy,
} from './ssrf.ts';

/** A `fetch` for server-side requests to URLs that someone other than the operator chose. */
export type OutboundFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

export interface OutboundFetchOptions {
  /** Connect, headers and body timeouts each (default 10 s). */
  timeoutMs?: number;
  /** Responses larger than this fail instead of filling memory (default 1 MiB). */
  maxResponseBytes?: number;
  /** Test seam for name resolution (default: the system resolver, every address). */
  lookup?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

/**
 * Builds the guarded fetch. Two checks, on purpose:
 *
 * 1. Before the request, `assertOutboundUrl` checks scheme and every resolved address, so the
 *    caller gets a clear `OUTBOUND_URL_FORBIDDEN` instead of a network error.
 * 2. At connect time the socket's own DNS lookup is replaced by one that checks each address it
 *    is about to use (IP literals are checked directly). This is what actually pins the
 *    connection: a name that resolved to a public address in step 1 and to 127.0.0.1 a moment
 *    later (DNS rebinding) is refused here, because the socket connects only to checked addresses.
 *
 * Redirects are never followed (`redirect: 'manual'` is forced): a 3xx is returned to the caller,
 * which must call this function again with the new URL (and so re-run both checks).
 */
export function createOutboundFetch(policy: OutboundPolicy, options: OutboundFetchOptions = {}): OutboundFetch {
  const timeout = options.timeoutMs ?? 10_000;
  const plain = buildConnector({ timeout });
  const pinned = buildConnector({
    timeout,
    lookup: options.lookup ? guardedLookup(options.lookup) : guardedLookup(),
  });
  const agent = new Agent({
    headersTimeout: timeout,
    bodyTimeout: timeout,
    maxResponseSize: options.maxResponseBytes ?? 1024 * 1024,
    connect: (opts, callback) => {
      if (isAllowListed(policy, opts.hostname, opts.port, opts.protocol)) return plain(opts, callback);
      // An IP literal never goes through lookup, so it is checked here.
      if (net.isIP(opts.hostname)) {
        const range = classifyAddress(opts.hostname);
        if (range) {
          callback(new OutboundUrlError(`Requests to ${opts.hostname} are not allowed (${range}).`, range), null);
          return;
        }
        return plain(opts, callback);
      }
      return pinned(opts, callback);
    },
  });
  return async (url, init = {}) => {
    await assertOutboundUrl(policy, url, options.lookup);
    try {
      const response = await undiciFetch(url, {
        ...(init as Parameters<typeof undiciFetch>[1]),
        redirect: 'manual',
        dispatcher: agent,
      });
      // undici's Response is the class behind Node's global fetch; only the nominal types differ.
      return response as unknown as Response;
    } catch (err) {
      // fetch wraps connect errors in `TypeError: fetch failed`; surface our refusal as itself.
      const cause = (err as { cause?: unknown }).cause;
      if (cause instanceof OutboundUrlError) throw cause;
      throw err;
    }
  };
}

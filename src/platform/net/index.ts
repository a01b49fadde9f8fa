/** The network edge: outbound requests to URLs chosen by users or remote servers. Import from here. */
export {
  assertOutboundUrl,
  classifyAddress,
  guardedLookup,
  isAllowListed,
  OutboundUrlError,
  type ForbiddenRange,
  type OutboundPolicy,
} from './ssrf.ts';
export { createOutboundFetch, type OutboundFetch, type OutboundFetchOptions } from './outbound-fetch.ts';

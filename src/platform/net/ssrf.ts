import dns from 'node:dns';
import net from 'node:net';
import { AppError } from '../errors.ts';

/**
 * The outbound-URL guard: every server-side request to a URL that a user, a tenant admin or a
 * remote server chose goes through here, so nobody can make this process reach loopback, the
 * private network or a cloud metadata endpoint. It fails closed: an address we cannot classify,
 * a name that does not resolve, or any one forbidden address among several refuses the request.
 *
 * The operator can allow hosts explicitly (`OUTBOUND_ALLOWLIST`: `host` or `host:port`), e.g. a
 * Keycloak on the private network; an allow-listed host skips the address check entirely.
 */

/** Why an address is refused; `null` from `classifyAddress` means it is a public address. */
export type ForbiddenRange =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'shared_cgnat'
  | 'unique_local'
  | 'multicast'
  | 'reserved'
  | 'invalid';

export interface OutboundPolicy {
  /** Hosts (`example.internal`) or host:port pairs (`10.0.0.5:8443`) exempt from the address check. */
  readonly allowlist: readonly string[];
}

/** Thrown as an AppError so it leaves the API as a 400 problem with a stable code. */
export class OutboundUrlError extends AppError {
  constructor(
    message: string,
    readonly reason: ForbiddenRange | 'scheme' | 'unresolvable' | 'credentials',
  ) {
    super('OUTBOUND_URL_FORBIDDEN', 'invalid', message, { extra: { reason } });
    this.name = 'OutboundUrlError';
  }
}

const V4_RANGES: readonly [number, number, ForbiddenRange][] = [
  // [network, prefix length, class]; order does not matter, ranges do not overlap.
  [ip4('0.0.0.0'), 8, 'unspecified'],
  [ip4('10.0.0.0'), 8, 'private'],
  [ip4('100.64.0.0'), 10, 'shared_cgnat'],
  [ip4('127.0.0.0'), 8, 'loopback'],
  [ip4('169.254.0.0'), 16, 'link_local'], // includes 169.254.169.254, the cloud metadata service
  [ip4('172.16.0.0'), 12, 'private'],
  [ip4('192.0.0.0'), 24, 'reserved'], // IETF protocol assignments
  [ip4('192.168.0.0'), 16, 'private'],
  [ip4('198.18.0.0'), 15, 'reserved'], // benchmarking, routed inside some networks
  [ip4('224.0.0.0'), 4, 'multicast'],
  [ip4('240.0.0.0'), 4, 'reserved'], // includes 255.255.255.255 broadcast
];

function ip4(s: string): number {
  const p = s.split('.').map(Number);
  return (((p[0] ?? 0) << 24) | ((p[1] ?? 0) << 16) | ((p[2] ?? 0) << 8) | (p[3] ?? 0)) >>> 0;
}

function classifyV4(value: number): ForbiddenRange | null {
  for (const [network, bits, range] of V4_RANGES) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((value & mask) >>> 0 === network) return range;
  }
  return null;
}

/** Expands an IPv6 literal (already validated by net.isIPv6) into its 8 16-bit groups. */
function ipv6Groups(address: string): number[] {
  let s = address.split('%')[0] ?? ''; // zone id (fe80::1%eth0)
  // A dotted IPv4 tail (::ffff:127.0.0.1) becomes two hex groups (::ffff:7f00:1).
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)?.[1];
  if (dotted) {
    const v = ip4(dotted);
    s = `${s.slice(0, -dotted.length)}${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = s.split('::');
  const parse = (part: string) => (part ? part.split(':').map((h) => parseInt(h, 16)) : []);
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  if (rest === undefined) return left;
  return [...left, ...Array<number>(Math.max(0, 8 - left.length - right.length)).fill(0), ...right];
}

function classifyV6(address: string): ForbiddenRange | null {
  const g = ipv6Groups(address);
  if (g.length !== 8 || g.some((x) => !Number.isInteger(x) || x < 0 || x > 0xffff)) return 'invalid';
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, h = 0, i = 0] = g;
  const embeddedV4 = ((h << 16) | i) >>> 0;
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0) {
    // ::ffff:a.b.c.d (IPv4-mapped) and the deprecated ::a.b.c.d (IPv4-compatible), :: and ::1.
    if (f === 0xffff) return classifyV4(embeddedV4);
    if (f === 0) {
      if (h === 0 && i === 0) return 'unspecified';
      if (h === 0 && i === 1) return 'loopback';
      return classifyV4(embeddedV4);
    }
  }
  // 64:ff9b::/96 NAT64 reaches the embedded IPv4 address through a translator.
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return classifyV4(embeddedV4);
  if ((a & 0xfe00) === 0xfc00) return 'unique_local'; // fc00::/7
  if ((a & 0xffc0) === 0xfe80) return 'link_local'; // fe80::/10
  if ((a & 0xffc0) === 0xfec0) return 'unique_local'; // fec0::/10, deprecated site-local
  if ((a & 0xff00) === 0xff00) return 'multicast'; // ff00::/8
  // 2002::/16 (6to4) embeds an IPv4 address in groups 2–3.
  if (a === 0x2002) return classifyV4(((b << 16) | c) >>> 0);
  return null;
}

/** The forbidden range an IP address falls in, or null for a public address. Not an IP: 'invalid'. */
export function classifyAddress(address: string): ForbiddenRange | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (net.isIPv4(bare)) return classifyV4(ip4(bare));
  if (net.isIPv6(bare)) return classifyV6(bare);
  return 'invalid';
}

const defaultPort = (protocol: string) => (protocol === 'https:' ? '443' : '80');

/** Whether the host (any port) or host:port is on the operator's allow-list. */
export function isAllowListed(policy: OutboundPolicy, hostname: string, port: string, protocol: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const effectivePort = port || defaultPort(protocol);
  return policy.allowlist.some((entry) => {
    const e = entry.trim().toLowerCase();
    return e === host || e === `${host}:${effectivePort}` || e === `[${host}]:${effectivePort}`;
  });
}

type LookupAll = (hostname: string) => Promise<{ address: string; family: number }[]>;
const systemLookup: LookupAll = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

function refuse(host: string, address: string, range: ForbiddenRange): OutboundUrlError {
  // The message names the host, not the address: it goes back to whoever supplied the URL.
  return new OutboundUrlError(`Requests to ${host} are not allowed: it resolves to a ${range} address.`, range);
}

/**
 * Checks a URL before any request: scheme, no embedded credentials, and every address its host
 * resolves to. Returns the parsed URL. Throws `OutboundUrlError` (`OUTBOUND_URL_FORBIDDEN`).
 */
export async function assertOutboundUrl(
  policy: OutboundPolicy,
  input: string | URL,
  lookup: LookupAll = systemLookup,
): Promise<URL> {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new OutboundUrlError('The URL is not valid.', 'scheme');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundUrlError(`Only http and https URLs are allowed, not ${url.protocol}`, 'scheme');
  }
  if (url.username || url.password) {
    throw new OutboundUrlError('URLs must not carry credentials (user:password@).', 'credentials');
  }
  if (isAllowListed(policy, url.hostname, url.port, url.protocol)) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host)) {
    const range = classifyAddress(host);
    if (range) throw refuse(url.hostname, host, range);
    return url;
  }
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host);
  } catch {
    throw new OutboundUrlError(`The host ${url.hostname} does not resolve.`, 'unresolvable');
  }
  if (addresses.length === 0) throw new OutboundUrlError(`The host ${url.hostname} does not resolve.`, 'unresolvable');
  for (const { address } of addresses) {
    const range = classifyAddress(address);
    if (range) throw refuse(url.hostname, address, range);
  }
  return url;
}

/**
 * A `dns.lookup` replacement for sockets: resolves every address, refuses the connection if any
 * is forbidden, and hands the checked addresses to the socket. Because the socket connects to
 * exactly what was checked, a DNS answer that changes between check and connect (rebinding)
 * cannot slip a private address through.
 */
export function guardedLookup(lookup: LookupAll = systemLookup): net.LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname)
      .then((all) => {
        const family = typeof options.family === 'number' ? options.family : 0;
        const usable = family ? all.filter((a) => a.family === family) : all;
        if (usable.length === 0) throw new OutboundUrlError(`The host ${hostname} does not resolve.`, 'unresolvable');
        for (const { address } of usable) {
          const range = classifyAddress(address);
          if (range) throw refuse(hostname, address, range);
        }
        if (options.all) callback(null, usable);
        else callback(null, usable[0]?.address ?? '', usable[0]?.family ?? 4);
      })
      .catch((err: NodeJS.ErrnoException) => callback(err, '', 0));
  };
}

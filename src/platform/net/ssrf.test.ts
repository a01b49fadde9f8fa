import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isAppError } from '../errors.ts';
import { createOutboundFetch } from './outbound-fetch.ts';
import { assertOutboundUrl, classifyAddress, OutboundUrlError } from './ssrf.ts';

const none = { allowlist: [] };
const resolvesTo =
  (...addresses: string[]) =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('outbound URL guard: address classes', () => {
  const cases: [string, string | null][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.10', 'private'],
    ['169.254.169.254', 'link_local'],
    ['100.64.0.1', 'shared_cgnat'],
    ['100.127.255.255', 'shared_cgnat'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456:789a::1', 'unique_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link_local'],
    ['::ffff:10.0.0.1', 'private'],
    ['0:0:0:0:0:ffff:c0a8:0101', 'private'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['[::1]', 'loopback'],
    // public
    ['8.8.8.8', null],
    ['1.1.1.1', null],
    ['172.32.0.1', null],
    ['100.128.0.1', null],
    ['192.169.0.1', null],
    ['2606:4700:4700::1111', null],
    ['::ffff:8.8.8.8', null],
    ['not-an-ip', 'invalid'],
  ];
  for (const [address, expected] of cases) {
    it(`classifies ${address} as ${expected ?? 'public'}`, () => {
      assert.equal(classifyAddress(address), expected);
    });
  }
});

describe('outbound URL guard: URLs', () => {
  const refused = async (p: Promise<unknown>, reason: string) => {
    await assert.rejects(p, (err: unknown) => {
      assert.ok(err instanceof OutboundUrlError && isAppError(err));
      assert.equal(err.code, 'OUTBOUND_URL_FORBIDDEN');
      assert.equal(err.kind, 'invalid');
      assert.equal(err.reason, reason);
      return true;
    });
  };

  it('refuses schemes other than http and https, and embedded credentials', async () => {
    await refused(assertOutboundUrl(none, 'file:///etc/passwd'), 'scheme');
    await refused(assertOutboundUrl(none, 'gopher://example.com/'), 'scheme');
    await refused(assertOutboundUrl(none, 'not a url'), 'scheme');
    await refused(assertOutboundUrl(none, 'https://u:p@example.com/', resolvesTo('8.8.8.8')), 'credentials');
  });

  it('refuses IP literals in forbidden ranges, including bracketed IPv6 and decimal forms', async () => {
    await refused(assertOutboundUrl(none, 'http://127.0.0.1:8080/'), 'loopback');
    await refused(assertOutboundUrl(none, 'http://[::1]/'), 'loopback');
    await refused(assertOutboundUrl(none, 'http://[::ffff:169.254.169.254]/latest/meta-data'), 'link_local');
    // WHATWG URL parsing normalises 2130706433 and 0x7f.1 to 127.0.0.1 before we look.
    await refused(assertOutboundUrl(none, 'http://2130706433/'), 'loopback');
    await refused(assertOutboundUrl(none, 'http://0x7f.1/'), 'loopback');
  });

  it('refuses a name if any one of its addresses is forbidden, and a name that does not resolve', async () => {
    await refused(assertOutboundUrl(none, 'https://mixed.example/', resolvesTo('8.8.8.8', '10.0.0.7')), 'private');
    await refused(
      assertOutboundUrl(none, 'https://nowhere.example/', async () => {
        throw new Error('ENOTFOUND');
      }),
      'unresolvable',
    );
    const ok = await assertOutboundUrl(none, 'https://public.example/x', resolvesTo('93.184.215.14'));
    assert.equal(ok.hostname, 'public.example');
  });

  it('lets allow-listed hosts and host:port pairs through, and nothing else', async () => {
    const policy = { allowlist: ['keycloak.internal', '127.0.0.1:8443'] };
    await assertOutboundUrl(policy, 'https://keycloak.internal/realms/x', resolvesTo('10.0.0.5'));
    await assertOutboundUrl(policy, 'https://127.0.0.1:8443/');
    await refused(assertOutboundUrl(policy, 'https://127.0.0.1:8444/'), 'loopback');
    await refused(assertOutboundUrl(policy, 'https://127.0.0.1/'), 'loopback');
  });
});

describe('outbound fetch', () => {
  let server: http.Server;
  let port: number;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses a local server unless it is allow-listed', async () => {
    const guarded = createOutboundFetch({ allowlist: [] });
    await assert.rejects(guarded(`http://127.0.0.1:${port}/`), { code: 'OUTBOUND_URL_FORBIDDEN' });
    const allowed = createOutboundFetch({ allowlist: ['127.0.0.1'] });
    const res = await allowed(`http://127.0.0.1:${port}/`);
    assert.deepEqual(await res.json(), { ok: true });
  });

  it('checks addresses again at connect time, so a name that rebinds to loopback is refused', async () => {
    // The first resolution (the pre-check) answers a public address, every later one loopback:
    // the socket must not connect to what it did not check.
    let calls = 0;
    const rebinding = async () => [{ address: ++calls === 1 ? '93.184.215.14' : '127.0.0.1', family: 4 }];
    const guarded = createOutboundFetch({ allowlist: [] }, { lookup: rebinding });
    await assert.rejects(guarded(`http://rebind.example:${port}/`), (err: unknown) => {
      assert.ok(err instanceof OutboundUrlError);
      assert.equal(err.reason, 'loopback');
      return true;
    });
    assert.ok(calls >= 2, 'the connection resolved the name itself');
  });

  it('does not follow redirects: the 3xx comes back to the caller', async () => {
    const allowed = createOutboundFetch({ allowlist: ['127.0.0.1'] });
    const res = await allowed(`http://127.0.0.1:${port}/redirect`, { redirect: 'follow' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), 'http://169.254.169.254/latest/meta-data');
  });
});

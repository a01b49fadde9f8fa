/**
 * Test support only (imported by sso.test.ts, never by the app): a real OpenID Provider
 * (`oidc-provider`, the certified implementation) and a small server speaking GitHub's OAuth and
 * REST wire format, both on 127.0.0.1, plus a browser-ish fetch loop with a cookie jar.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider';

export interface IdpAccount {
  email: string;
  email_verified: boolean;
  name: string;
}

export interface TestIdp {
  issuer: string;
  /** Registers (or replaces) a confidential client allowed to redirect to `redirectUri`. */
  addClient(client: { clientId: string; clientSecret: string; redirectUri: string }): Promise<void>;
  /** Who "types their password" at the IdP on the next login interaction. */
  accounts: Map<string, IdpAccount>;
  nextLogin: string | undefined;
  close(): Promise<void>;
}

/**
 * The provider's storage, in memory and per test IdP. Written out (rather than the library's
 * default adapter) so the test can register clients directly: the provider looks up client ids
 * it has no static entry for in the `Client` model.
 */
function memoryAdapter() {
  const store = new Map<string, AdapterPayload>();
  const byUid = new Map<string, string>();
  return class MemoryAdapter implements Adapter {
    constructor(readonly model: string) {}
    private key = (id: string) => `${this.model}:${id}`;
    async upsert(id: string, payload: AdapterPayload) {
      store.set(this.key(id), payload);
      if (payload.uid) byUid.set(payload.uid, id);
    }
    async find(id: string) {
      return store.get(this.key(id));
    }
    async findByUid(uid: string) {
      const id = byUid.get(uid);
      return id ? store.get(this.key(id)) : undefined;
    }
    async findByUserCode() {
      return undefined;
    }
    async consume(id: string) {
      const found = store.get(this.key(id));
      if (found) found.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      store.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      for (const [k, v] of store) if (v.grantId === grantId) store.delete(k);
    }
  };
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

export async function startOidcProvider(): Promise<TestIdp> {
  const server = http.createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test', alg: 'RS256', use: 'sig' };
  const accounts = new Map<string, IdpAccount>();
  const Storage = memoryAdapter();
  const idp: TestIdp = {
    issuer,
    accounts,
    nextLogin: undefined,
    async addClient(c) {
      // Clients the provider does not know statically are looked up through its adapter.
      await new Storage('Client').upsert(c.clientId, {
        client_id: c.clientId,
        client_secret: c.clientSecret,
        redirect_uris: [c.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const provider = new Provider(issuer, {
    adapter: Storage,
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: () => ({ sub, ...account }) };
    },
    // First-party test IdP: every client gets the scopes it asks for, so no consent screen.
    async loadExistingGrant(ctx) {
      const accountId = ctx.oidc.session?.accountId;
      const clientId = ctx.oidc.client?.clientId;
      if (!accountId || !clientId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ accountId, clientId });
      grant.addOIDCScope('openid email profile');
      grant.addOIDCClaims(['email', 'email_verified', 'name']);
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return void callback(req, res);
    // The login page: "the user" named by nextLogin signs in.
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (details.prompt.name !== 'login' || !idp.nextLogin)
          throw new Error(`unexpected prompt ${details.prompt.name}`);
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: idp.nextLogin } },
          { mergeWithLastSubmission: false },
        );
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
      }
    })();
  });
  return idp;
}

/** A cookie jar for one host: enough for the IdP's session and interaction cookies. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  store(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0$/i.test(a) || /^\s*expires=.*1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Follows redirects from `start` like a browser until one points at `stopAt` (our callback),
 * and returns that URL. Nothing is followed automatically: each hop is a plain fetch.
 */
export async function followUntil(start: string, stopAt: string): Promise<URL> {
  const jar = new CookieJar();
  let url = new URL(start);
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(res);
    const location = res.headers.get('location');
    if (!location) throw new Error(`no redirect from ${url.href}: ${res.status} ${await res.text()}`);
    url = new URL(location, url);
    if (url.href.startsWith(stopAt)) return url;
  }
  throw new Error('too many redirects');
}

export interface GithubUserFixture {
  id: number;
  login: string;
  name: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

/**
 * GitHub's wire format, as much as our adapter uses: `/login/oauth/authorize` (auto-approves as
 * `nextUser`), `/login/oauth/access_token` (checks secret, redirect URI and PKCE), and under
 * `/api`: `GET /user`, `GET /user/emails` with a bearer token.
 */
export async function startGithubServer(client: { clientId: string; clientSecret: string }) {
  const codes = new Map<string, { user: GithubUserFixture; redirectUri: string; challenge: string }>();
  const tokens = new Map<string, GithubUserFixture>();
  const state: { nextUser: GithubUserFixture | undefined; clientId: string; clientSecret: string } = {
    nextUser: undefined,
    ...client,
  };
  const json = (res: http.ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const p = url.searchParams;
      const redirectUri = p.get('redirect_uri') ?? '';
      if (p.get('client_id') !== state.clientId || !state.nextUser || p.get('code_challenge_method') !== 'S256') {
        return json(res, 400, { error: 'bad request' });
      }
      const code = randomBytes(10).toString('hex');
      codes.set(code, { user: state.nextUser, redirectUri, challenge: p.get('code_challenge') ?? '' });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', p.get('state') ?? '');
      return void res.writeHead(302, { location: back.href }).end();
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const p = new URLSearchParams(body);
        const grant = codes.get(p.get('code') ?? '');
        codes.delete(p.get('code') ?? '');
        const verifier = p.get('code_verifier') ?? '';
        const ok =
          grant &&
          p.get('client_id') === state.clientId &&
          p.get('client_secret') === state.clientSecret &&
          p.get('redirect_uri') === grant.redirectUri &&
          createHash('sha256').update(verifier).digest('base64url') === grant.challenge;
        // GitHub answers failures with 200 and an error member.
        if (!ok || !grant) return json(res, 200, { error: 'bad_verification_code' });
        const token = `gho_${randomBytes(16).toString('hex')}`;
        tokens.set(token, grant.user);
        json(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
      });
      return;
    }
    const user = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (!req.headers['user-agent']) return json(res, 403, { message: 'User-Agent required' });
    if (url.pathname === '/api/user') {
      if (!user) return json(res, 401, { message: 'Bad credentials' });
      return json(res, 200, { id: user.id, login: user.login, name: user.name, email: null });
    }
    if (url.pathname === '/api/user/emails') {
      if (!user) return json(res, 401, { message: 'Bad credentials' });
      return json(
        res,
        200,
        user.emails.map((e) => ({ ...e, visibility: e.primary ? 'private' : null })),
      );
    }
    json(res, 404, { message: 'Not Found' });
  });
  const port = await listen(server);
  return {
    state,
    oauthUrl: `http://127.0.0.1:${port}`,
    apiUrl: `http://127.0.0.1:${port}/api`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

import { z } from 'zod';
import { isAppError } from '../../../platform/errors.ts';
import { OutboundUrlError } from '../../../platform/net/index.ts';
import type { AdapterDeps, ExternalIdentity, ProtocolAdapter } from './adapter.ts';
import { ssoErrors } from './sso.errors.ts';

/**
 * GitHub's OAuth2 (it is not OpenID Connect: no ID token, no discovery). The user is identified
 * by the numeric id from `GET /user`; the email is the primary one from `GET /user/emails`, and
 * only if GitHub marks it verified. Endpoints come from config (`GITHUB_OAUTH_URL`,
 * `GITHUB_API_URL`) so GitHub Enterprise and tests can point elsewhere; all go through the
 * SSRF-guarded fetch. GitHub accepts PKCE, so we send it as for OIDC.
 */

const TokenResponse = z.union([
  z.object({ access_token: z.string().min(1).max(4096), token_type: z.string().optional() }),
  z.object({ error: z.string().max(200), error_description: z.string().max(1000).optional() }),
]);
const GithubUser = z.object({
  id: z.number().int().positive(),
  login: z.string().max(100),
  name: z.string().max(256).nullable().optional(),
});
const GithubEmails = z
  .array(z.object({ email: z.string().max(320), primary: z.boolean(), verified: z.boolean() }))
  .max(500);

/** GitHub's REST API asks for these on every call (a User-Agent is mandatory). */
const apiHeaders = (token: string) => ({
  accept: 'application/vnd.github+json',
  authorization: `Bearer ${token}`,
  'user-agent': 'switchyard',
  'x-github-api-version': '2022-11-28',
});

export function createGithubAdapter(deps: AdapterDeps): ProtocolAdapter {
  const oauth = deps.sso.githubOauthUrl;
  const api = deps.sso.githubApiUrl;

  async function getJson<T>(url: string, token: string, schema: z.ZodType<T>): Promise<T> {
    const res = await deps.fetch(url, { headers: apiHeaders(token) });
    if (res.status === 401 || res.status === 403) throw ssoErrors.codeRejected();
    if (!res.ok) throw ssoErrors.providerUnavailable();
    const parsed = schema.safeParse(await res.json());
    if (!parsed.success) throw ssoErrors.providerUnavailable();
    return parsed.data;
  }

  return {
    async authorizationUrl(provider, input) {
      const url = new URL(`${oauth}/login/oauth/authorize`);
      url.search = new URLSearchParams({
        client_id: provider.clientId,
        redirect_uri: input.redirectUri,
        scope: provider.scopes,
        state: input.state,
        code_challenge: input.codeChallenge,
        code_challenge_method: 'S256',
        allow_signup: 'false',
      }).toString();
      return url;
    },

    async exchange(provider, input): Promise<ExternalIdentity> {
      const params = input.currentUrl.searchParams;
      const error = params.get('error');
      if (error) throw ssoErrors.idpError(error.slice(0, 100));
      const code = params.get('code');
      if (!code || params.get('state') !== input.state) throw ssoErrors.stateInvalid();
      try {
        const res = await deps.fetch(`${oauth}/login/oauth/access_token`, {
          method: 'POST',
          headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            client_id: provider.clientId,
            client_secret: provider.clientSecret,
            code,
            redirect_uri: input.redirectUri,
            code_verifier: input.codeVerifier,
          }).toString(),
        });
        if (!res.ok) throw ssoErrors.providerUnavailable();
        const token = TokenResponse.safeParse(await res.json());
        // GitHub answers a bad code with 200 and `{error: "bad_verification_code"}`.
        if (!token.success || 'error' in token.data) throw ssoErrors.codeRejected();
        const accessToken = token.data.access_token;
        const user = await getJson(`${api}/user`, accessToken, GithubUser);
        const emails = await getJson(`${api}/user/emails`, accessToken, GithubEmails);
        const primary = emails.find((e) => e.primary && e.verified);
        return {
          subject: String(user.id),
          email: primary ? primary.email.toLowerCase() : null,
          emailVerified: primary !== undefined,
          name: user.name || user.login,
        };
      } catch (err) {
        if (isAppError(err) || err instanceof OutboundUrlError) throw err;
        throw ssoErrors.providerUnavailable();
      }
    },
  };
}

import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';

let seq = 0;

/** A unique address per call and per test process, so suites never collide on an email. */
export const uniqueEmail = (who: string) => `${who}.${process.pid}.${++seq}@example.test`;

export const TEST_PASSWORD = 'copper lantern 58 hums softly';

export interface SignedUp {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  user: { id: string; email: string; name: string; isOperator: boolean };
  tenant: { id: string; name: string; role: string };
}

/** Signs up through the real API (a fresh user owning a fresh organisation) and returns the session. */
export async function signupUser(app: FastifyInstance, who: string, password = TEST_PASSWORD): Promise<SignedUp> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/signup',
    payload: { email: uniqueEmail(who), password, name: who, organizationName: `${who} org` },
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

export const bearer = (s: { accessToken: string }) => ({ authorization: `Bearer ${s.accessToken}` });

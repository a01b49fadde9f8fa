import type { IncomingMessage } from 'node:http';
import { pooledRandomBytes } from '../ids.ts';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Keeps a caller's X-Request-Id when it is short and harmless (so traces line up across a
 * proxy), otherwise mints one. Never trusts the header into a log line unchecked.
 */
export function genRequestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && SAFE_ID.test(given)) return given;
  return `req_${pooledRandomBytes(12).toString('base64url')}`;
}

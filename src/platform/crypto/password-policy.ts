import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { MAX_PASSWORD_BYTES } from './passwords.ts';

/**
 * What a new password must satisfy, after NIST SP 800-63B and OWASP: long enough, not absurdly
 * long, not a known common or breached password, not guessable from who the user is. No
 * composition rules (they make passwords worse, not better).
 *
 * Guessability is zxcvbn's estimate (score 0–4; below 3 is "too easy to guess") over its bundled
 * dictionaries: ~49,000 passwords common in breach corpora, English words and names, keyboard
 * patterns, dates. The lists ship inside the npm packages; nothing is fetched at run time.
 */

export const PASSWORD_PROBLEMS = {
  tooShort: 'PASSWORD_TOO_SHORT',
  tooLong: 'PASSWORD_TOO_LONG',
  common: 'PASSWORD_COMMON',
  tooWeak: 'PASSWORD_TOO_WEAK',
  containsEmail: 'PASSWORD_CONTAINS_EMAIL',
  containsName: 'PASSWORD_CONTAINS_NAME',
} as const;
export type PasswordProblemCode = (typeof PASSWORD_PROBLEMS)[keyof typeof PASSWORD_PROBLEMS];

/** A stable `code` for clients and tests, and a `message` to show a person. */
export interface PasswordProblem {
  code: PasswordProblemCode;
  message: string;
}

export interface PasswordContext {
  email?: string | undefined;
  name?: string | undefined;
}

export const MIN_PASSWORD_LENGTH = 10;
const MIN_SCORE = 3;
/** Parts of an email or name shorter than this are too common to forbid inside a password. */
const MIN_PERSONAL_TOKEN = 4;

/**
 * zxcvbn's matching grows fast with length and with characters that look like l33t substitutions
 * (up to seconds for 256 characters, on the event loop). Scoring only the first 64 characters with
 * fewer substitutions tried bounds it to tens of milliseconds; 64 characters that already score 3
 * are not made weak by what follows.
 */
const ZXCVBN_MAX_LENGTH = 64;
const ZXCVBN_L33T_MAX_SUBSTITUTIONS = 20;

/**
 * Returns every problem with the password, or `[]` when it is acceptable. Async because the
 * dictionaries (a few MB) load on first use rather than when the process starts.
 */
export async function checkPasswordPolicy(password: string, context: PasswordContext = {}): Promise<PasswordProblem[]> {
  const problems: PasswordProblem[] = [];
  // Length in characters (code points), as a person counts them; the cap is in bytes because
  // bytes are what hashing and storage pay for.
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    problems.push({
      code: PASSWORD_PROBLEMS.tooShort,
      message: `Use at least ${MIN_PASSWORD_LENGTH} characters.`,
    });
  }
  const tooLong = Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES;
  if (tooLong) {
    problems.push({
      code: PASSWORD_PROBLEMS.tooLong,
      message: `Use at most ${MAX_PASSWORD_BYTES} bytes (fewer characters if they are not plain ASCII).`,
    });
  }

  const lower = password.toLowerCase();
  const email = personalTokens(context.email?.split('@')[0]);
  if (email.some((t) => lower.includes(t))) {
    problems.push({
      code: PASSWORD_PROBLEMS.containsEmail,
      message: 'Do not use your email address in your password.',
    });
  }
  const name = personalTokens(context.name);
  if (name.some((t) => lower.includes(t))) {
    problems.push({ code: PASSWORD_PROBLEMS.containsName, message: 'Do not use your name in your password.' });
  }

  if (tooLong) return problems; // never hand an unbounded input to the estimator
  const zxcvbn = await estimator();
  const result = zxcvbn.check(password, [...email, ...name]);
  const whole = result.sequence.length === 1 ? result.sequence[0] : undefined;
  if (whole?.pattern === 'dictionary' && whole.dictionaryName === 'passwords-common') {
    problems.push({
      code: PASSWORD_PROBLEMS.common,
      message: 'This is one of the most common passwords; choose another.',
    });
  } else if (result.score < MIN_SCORE) {
    problems.push({
      code: PASSWORD_PROBLEMS.tooWeak,
      message: 'This password is too easy to guess. A few unrelated words make a strong one.',
    });
  }
  return problems;
}

/** The local part or name whole (without separators) and each of its words, lower-cased. */
function personalTokens(text: string | undefined): string[] {
  if (!text) return [];
  const lower = text.toLowerCase();
  const words = lower.split(/[^\p{L}\p{N}]+/u);
  return [...new Set([words.join(''), ...words])].filter((t) => [...t].length >= MIN_PERSONAL_TOKEN);
}

// Built once per process: construction ranks ~100,000 dictionary entries (~100 ms), and the
// result is immutable, so every caller can share it.
let zxcvbnPromise: Promise<ZxcvbnFactory> | undefined;

function estimator(): Promise<ZxcvbnFactory> {
  zxcvbnPromise ??= (async () => {
    const [{ ZxcvbnFactory }, common, en] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    return new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
      maxLength: ZXCVBN_MAX_LENGTH,
      l33tMaxSubstitutions: ZXCVBN_L33T_MAX_SUBSTITUTIONS,
    });
  })().catch((err: unknown) => {
    zxcvbnPromise = undefined; // let the next call try again rather than fail forever
    throw err;
  });
  return zxcvbnPromise;
}

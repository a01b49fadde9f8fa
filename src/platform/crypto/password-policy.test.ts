import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { checkPasswordPolicy, PASSWORD_PROBLEMS, type PasswordContext } from './password-policy.ts';

const codes = async (password: string, context?: PasswordContext) =>
  (await checkPasswordPolicy(password, context)).map((p) => p.code);

describe('checkPasswordPolicy', () => {
  it('accepts a long random passphrase and a random token', async () => {
    assert.deepEqual(await checkPasswordPolicy('vellum-orbit-cactus-tundra-41'), []);
    assert.deepEqual(await checkPasswordPolicy(randomBytes(18).toString('base64url')), []);
  });

  it('rejects common passwords, including ones at or over the minimum length', async () => {
    assert.deepEqual(await codes('qwertyuiop'), [PASSWORD_PROBLEMS.common]);
    assert.deepEqual(await codes('1234567890'), [PASSWORD_PROBLEMS.common]);
    assert.deepEqual(await codes('password123456'), [PASSWORD_PROBLEMS.tooWeak]);
    assert.deepEqual(await codes('P@ssw0rd2024'), [PASSWORD_PROBLEMS.tooWeak]);
  });

  it('rejects a password of 9 characters, counting characters rather than bytes', async () => {
    assert.ok((await codes('v7#Kq2!zR')).includes(PASSWORD_PROBLEMS.tooShort));
    assert.ok(!(await codes('ẞtræñgé-wörd-ǅ')).includes(PASSWORD_PROBLEMS.tooShort));
  });

  it('rejects a password over 256 bytes without estimating its strength', async () => {
    const problems = await checkPasswordPolicy('x7$'.repeat(100));
    assert.deepEqual(
      problems.map((p) => p.code),
      [PASSWORD_PROBLEMS.tooLong],
    );
  });

  it('rejects a password containing the email local part or the name, in any case', async () => {
    const context = { email: 'Margaret.Hamilton@example.com', name: 'Margaret Hamilton' };
    assert.ok((await codes('xX-margarethamilton-Xx-91', context)).includes(PASSWORD_PROBLEMS.containsEmail));
    assert.ok(
      (await codes('orbit-HAMILTON-cactus-tundra', { email: 'm.hamilton@example.com' })).includes(
        PASSWORD_PROBLEMS.containsEmail,
      ),
    );
    assert.deepEqual(await codes('orbit-Margaret-cactus-tundra', { name: 'Margaret Hamilton' }), [
      PASSWORD_PROBLEMS.containsName,
    ]);
    // Short name parts are too common to forbid.
    assert.deepEqual(await codes('vellum-orbit-cactus-tundra-41', { name: 'Al Or' }), []);
  });

  it('reports every problem at once, each with a code and a message for a person', async () => {
    const problems = await checkPasswordPolicy('ada1815', { email: 'ada1815@example.com', name: 'Ada' });
    assert.deepEqual(
      problems.map((p) => p.code),
      [PASSWORD_PROBLEMS.tooShort, PASSWORD_PROBLEMS.containsEmail, PASSWORD_PROBLEMS.tooWeak],
    );
    for (const p of problems) assert.ok(p.message.length > 10 && p.message.endsWith('.'));
  });
});

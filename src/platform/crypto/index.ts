/**
 * The crypto edge: secrets at rest (`KeyRing`), the master keys behind them (`loadKeyRing`),
 * passwords (argon2id and the password policy) and bearer tokens. Import from here only.
 */
export {
  KEY_BYTES,
  KeyRing,
  keyIdOf,
  SECRET_BOX_ERRORS,
  SecretBoxError,
  type SecretBoxErrorCode,
} from './secret-box.ts';
export { KEY_FILE_NAME, loadKeyRing, MasterKeyError, type LoadKeyRingOptions } from './master-key.ts';
export {
  ARGON2_PARAMS,
  DUMMY_HASH,
  hashPassword,
  MAX_PASSWORD_BYTES,
  needsRehash,
  verifyAgainstDummy,
  verifyPassword,
} from './passwords.ts';
export {
  checkPasswordPolicy,
  MIN_PASSWORD_LENGTH,
  PASSWORD_PROBLEMS,
  type PasswordContext,
  type PasswordProblem,
  type PasswordProblemCode,
} from './password-policy.ts';
export { hashToken, prefixedSecret, randomToken, safeEqual, type PrefixedSecret } from './tokens.ts';

// Password and MFA forms get their refusals next to the field that caused them: the API says
// which in `issues` (validation, e.g. a weak new password), in `reason` (MFA_VERIFICATION_FAILED:
// password | code | code_reused) or by its code (AUTH_INVALID_CREDENTIALS: the current password).

export interface ProblemLike {
  code: string;
  message: string;
  issues: { path: string; message: string }[];
  problem: Record<string, unknown>;
}

/** Field → message for the form's inputs; what fits no field stays for a general error box. */
export function proofFieldErrors(
  err: ProblemLike,
  fields: { password?: string; code?: string },
): { fields: Record<string, string>; unplaced: boolean } {
  const out: Record<string, string> = {};
  for (const issue of err.issues) {
    const key = issue.path.replace(/^(body|querystring|params)\.?/, '');
    out[key] ??= issue.message;
  }
  if (err.code === 'MFA_VERIFICATION_FAILED') {
    const reason = err.problem.reason;
    const target = reason === 'password' ? fields.password : fields.code;
    if (target) out[target] = err.message;
  }
  if (err.code === 'AUTH_INVALID_CREDENTIALS' && fields.password) out[fields.password] = err.message;
  if ((err.code === 'MFA_CODE_REUSED' || err.code === 'MFA_INVALID_CODE') && fields.code)
    out[fields.code] = err.message;
  return { fields: out, unplaced: Object.keys(out).length === 0 };
}

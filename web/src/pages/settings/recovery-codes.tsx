import { recoveryCodesText } from '../../lib/settings/display';
import { Notice } from '../../ui/feedback';
import { CopyButton, DownloadTextButton } from '../../ui/copy-button';

/** Recovery codes, shown once: the server keeps only their hashes. */
export function RecoveryCodes({ codes, account }: { codes: string[]; account: string }) {
  const text = recoveryCodesText(codes, account);
  return (
    <div className="space-y-3">
      <Notice tone="warning">
        Save these recovery codes somewhere safe now — this is the only time they are shown. Each one signs you in once
        if you lose your authenticator.
      </Notice>
      <ul
        aria-label="Recovery codes"
        className="grid grid-cols-2 gap-2 rounded-md border border-slate-200 bg-slate-50 p-3 font-mono text-sm dark:border-slate-800 dark:bg-slate-950"
      >
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      <div className="flex flex-wrap gap-2">
        <CopyButton text={codes.join('\n')} label="Copy codes" />
        <DownloadTextButton text={text} name="switchyard-recovery-codes.txt" label="Download codes" />
      </div>
    </div>
  );
}

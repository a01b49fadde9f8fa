import { Check, Copy, Download } from 'lucide-react';
import { useState } from 'react';
import { saveBlob } from '../lib/download';
import { Button } from './button';

/** Copies a text, saying so for a moment (and to screen readers, through the button's name). */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <Button
      size="sm"
      icon={copied ? <Check className="size-3.5" aria-hidden /> : <Copy className="size-3.5" aria-hidden />}
      onClick={async () => {
        await navigator.clipboard?.writeText(text);
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      }}
    >
      {copied ? 'Copied' : label}
    </Button>
  );
}

export function DownloadTextButton({ text, name, label = 'Download' }: { text: string; name: string; label?: string }) {
  return (
    <Button
      size="sm"
      icon={<Download className="size-3.5" aria-hidden />}
      onClick={() => saveBlob(new Blob([text], { type: 'text/plain' }), name)}
    >
      {label}
    </Button>
  );
}

// Small renderings for the settings pages: the MFA QR code, a session's device, recovery codes.

/**
 * The QR code the API sends (an SVG document) as a data: URL for an <img>. An image cannot run
 * scripts or reach the page, so even a hostile SVG is harmless there; anything that is not an
 * SVG document is refused and the page shows the secret to type instead.
 */
export function svgDataUrl(svg: string): string | undefined {
  const text = svg.trim().replace(/^<\?xml[^>]*\?>\s*/, '');
  if (!/^<svg[\s>]/i.test(text) || !/<\/svg>$/i.test(text)) return undefined;
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
}

/** "Chrome on macOS" from a user agent, or the raw string's start when it is unusual. */
export function describeUserAgent(ua: string | null): string {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\//.test(ua)
      ? 'Opera'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /Chrome\/|Chromium\//.test(ua)
          ? 'Chrome'
          : /Safari\//.test(ua)
            ? 'Safari'
            : /curl\//i.test(ua)
              ? 'curl'
              : undefined;
  const os = /iPhone|iPad/.test(ua)
    ? 'iOS'
    : /Android/.test(ua)
      ? 'Android'
      : /Mac OS X|Macintosh/.test(ua)
        ? 'macOS'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Linux/.test(ua)
            ? 'Linux'
            : undefined;
  if (browser && os) return `${browser} on ${os}`;
  if (browser) return browser;
  return ua.length > 40 ? `${ua.slice(0, 40)}…` : ua;
}

/** Recovery codes as a text file to keep, one a line, with a heading that says what they are. */
export function recoveryCodesText(codes: string[], account: string, now: Date = new Date()): string {
  return [
    `Switchyard recovery codes for ${account}`,
    `Generated ${now.toISOString()}. Each code works once in place of an authenticator code.`,
    '',
    ...codes,
    '',
  ].join('\n');
}

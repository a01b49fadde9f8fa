// Saving files in the browser. API downloads need the bearer token, which a plain <a href> cannot
// send, so they are fetched with it, read as a blob and handed to a temporary object URL.
import { ApiError, authorizedFetch } from '../api/client';

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked a little later: some browsers start reading the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function saveJson(value: unknown, name: string): void {
  saveBlob(new Blob([JSON.stringify(value, null, 2) + '\n'], { type: 'application/json' }), name);
}

/** The filename a content-disposition header names, if any. */
export function dispositionName(header: string | null): string | undefined {
  if (!header) return undefined;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (star?.[1]) return decodeURIComponent(star[1]);
  return /filename="?([^";]+)"?/i.exec(header)?.[1];
}

/** Downloads an API file with the session's token; throws an ApiError with the problem on failure. */
export async function downloadApiFile(path: string, fallbackName: string): Promise<void> {
  let res: Response;
  try {
    res = await authorizedFetch(path);
  } catch (err) {
    throw new ApiError(0, { detail: `Cannot reach the server (${(err as Error).message}).` });
  }
  if (!res.ok) {
    const problem = await res.json().catch(() => ({ detail: res.statusText }));
    throw new ApiError(res.status, problem as Record<string, unknown>);
  }
  saveBlob(await res.blob(), dispositionName(res.headers.get('content-disposition')) ?? fallbackName);
}

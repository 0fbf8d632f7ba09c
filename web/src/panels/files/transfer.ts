/**
 * Files to and from the hub: a request whose body or answer is a file rather than JSON, and
 * saving an answer as a download. The session and its expiry are the console's (api.ts): the
 * bearer token of the person logged in, and on a 401 the login dialog, then the request once more.
 * A refusal is the hub's coded errors, as every other call throws them (ApiError).
 *
 * Saving needs no network: the answer is already in the browser, handed to the download by a
 * Blob URL of the console's own origin (the CSP allows nothing else), named as the hub named it
 * in `Content-Disposition`.
 */
import { ApiError, sessionExpired } from '../../api.ts';
import { saveFile } from '../../dom.ts';
import { state } from '../../store.ts';

/** A request to the hub's API with a file body (or none); the answer when it is 2xx, else thrown. */
export async function send(
  method: 'GET' | 'POST',
  path: string,
  body?: { bytes: Blob; type: string },
  retried = false,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (state.me) headers.authorization = `Bearer ${state.me.token}`;
  if (body) headers['content-type'] = body.type;
  const res = await fetch(`/api/v1${path}`, { method, headers, ...(body && { body: body.bytes }) });
  if (res.status === 401 && state.me && !retried) {
    await sessionExpired();
    return send(method, path, body, true);
  }
  if (!res.ok) {
    const json = (await res.json().catch(() => ({}))) as { errors?: ApiError['errors'] };
    throw new ApiError(res.status, json.errors ?? []);
  }
  return res;
}

/** The file name an answer's `Content-Disposition` gives, else `fallback`. */
export function fileNameOf(res: Response, fallback: string): string {
  const cd = res.headers.get('content-disposition') ?? '';
  const m = /filename="([^"/\\]+)"/.exec(cd) ?? /filename=([^;\s/\\]+)/.exec(cd);
  return m?.[1] ?? fallback;
}

/** Save an answer as a download; resolves to its file name and size in bytes. */
export async function download(res: Response, fallback: string): Promise<{ name: string; bytes: number }> {
  const name = fileNameOf(res, fallback);
  const blob = await res.blob();
  saveFile(name, blob);
  return { name, bytes: blob.size };
}

/** A size as people read it: `812 B`, `12.4 kB`, `3.1 MB`. */
export function sizeText(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/**
 * TLS for the hub's listeners — the HTTP API (`serve --tls-cert`, `--tls-key`, `--tls-ca`) and
 * the CoT feed (`--cot-tls-cert`, `--cot-tls-key`, `--cot-tls-ca`): one reading of the flags and
 * one policy, so that the two ports cannot drift apart.
 *
 * - The operator's certificate and key (PEM files), TLS 1.2 at least.
 * - With a CA given, every client must present a certificate signed by it, as TAK servers
 *   require: a connection without one is refused at the handshake, before any byte of HTTP or
 *   CoT is read.
 * - Plain TCP only on a literal loopback address (127.0.0.0/8, ::1): a token is never sent in
 *   clear over a network. A name is not trusted to resolve to loopback.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type tls from 'node:tls';

/** The operator's certificate, key and, optionally, the CA that signs its clients' certificates. */
export interface TlsFiles {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** Client certificates signed by this CA are required. */
  readonly ca?: string | Buffer;
}

/** True for a literal loopback address (a name is not trusted to resolve to one). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (h.toLowerCase().startsWith('::ffff:')) return isLoopback(h.slice(7));
  return net.isIPv6(h) && /^(0*:)*:?0*1$/.test(h);
}

/**
 * The TLS files named by three flags (`<prefix>tls-cert`, `-key`, `-ca`), read here, or undefined
 * when none is given. Throws an Error whose message is the one line serve prints.
 */
export function readTlsFlags<P extends '' | 'cot-'>(
  flags: { readonly [F in `${P}tls-${'cert' | 'key' | 'ca'}`]?: string | undefined },
  prefix: P,
): TlsFiles | undefined {
  const certFlag = `${prefix}tls-cert` as const;
  const keyFlag = `${prefix}tls-key` as const;
  const caFlag = `${prefix}tls-ca` as const;
  const cert = flags[certFlag];
  const key = flags[keyFlag];
  const ca = flags[caFlag];
  if ((cert === undefined) !== (key === undefined))
    throw new Error(`--${certFlag} and --${keyFlag} go together`);
  if (ca !== undefined && cert === undefined)
    throw new Error(`--${caFlag} needs --${certFlag} and --${keyFlag}`);
  if (cert === undefined || key === undefined) return undefined;
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`--${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  };
  return {
    cert: read(certFlag, cert),
    key: read(keyFlag, key),
    ...(ca !== undefined && { ca: read(caFlag, ca) }),
  };
}

/** Node's server options for the files: TLS 1.2 at least; with a CA, client certificates required. */
export function tlsServerOptions(files: TlsFiles, handshakeTimeoutMs: number): tls.TlsOptions {
  return {
    cert: files.cert,
    key: files.key,
    minVersion: 'TLSv1.2',
    handshakeTimeout: handshakeTimeoutMs,
    ...(files.ca !== undefined && { ca: files.ca, requestCert: true, rejectUnauthorized: true }),
  };
}

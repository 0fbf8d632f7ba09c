/**
 * What the tests of the hub run as a service share: certificates made on the spot with the
 * `openssl` command (a CA, a server certificate for 127.0.0.1, a client certificate signed by the
 * CA, and one signed by nobody the hub trusts), and submissions that each record a conflict —
 * strikes around Arad's fortress, a protected site of the demo theatre
 * (scenarios/river-line.geojson, `site-fortress`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Certificates {
  /** File paths, as `serve` takes them. */
  readonly files: { readonly ca: string; readonly cert: string; readonly key: string };
  /** PEM contents, as clients take them. */
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly client: { readonly cert: Buffer; readonly key: Buffer };
  /** A client certificate the hub's CA did not sign (self-signed). */
  readonly stranger: { readonly cert: Buffer; readonly key: Buffer };
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, the hub's certificate for 127.0.0.1 and localhost, and two client certificates, in `dir`. */
export function makeCertificates(dir: string): Certificates {
  const days = ['-days', '2'];
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const selfSigned = (name: string, cn: string) =>
    openssl(
      dir,
      'req',
      '-x509',
      ...ec,
      ...days,
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
    );
  selfSigned('ca', 'deconflict test CA');
  const signed = (name: string, cn: string, ext: string) => {
    openssl(dir, 'req', ...ec, '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      ...days,
      '-extfile',
      ext,
      '-out',
      `${name}.pem`,
    );
  };
  const serverExt = join(dir, 'server.ext');
  const clientExt = join(dir, 'client.ext');
  execFileSync('sh', [
    '-c',
    `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > '${serverExt}'`,
  ]);
  execFileSync('sh', ['-c', `printf 'extendedKeyUsage=clientAuth\\n' > '${clientExt}'`]);
  signed('server', 'localhost', serverExt);
  signed('client', 'a TAK client', clientExt);
  selfSigned('stranger', 'stranger');
  const read = (f: string) => readFileSync(join(dir, f));
  return {
    files: { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') },
    ca: read('ca.pem'),
    cert: read('server.pem'),
    key: read('server.key'),
    client: { cert: read('client.pem'), key: read('client.key') },
    stranger: { cert: read('stranger.pem'), key: read('stranger.key') },
  };
}

/** Arad's fortress (scenarios/river-line.geojson, `site-fortress`, city-police's protected site). */
const FORTRESS = [21.332, 46.1716] as const;

/**
 * A strike `i` on a small spiral around the fortress, within 100 m of it (so each records a
 * conflict with the protected site), on 25 November 2026 — after the test hubs' clock.
 */
export function fortressStrike(id: string, i: number) {
  const a = i * 2.399963;
  const r = 0.0002 + (i % 7) * 0.0001;
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [FORTRESS[0] + r * Math.cos(a), FORTRESS[1] + r * Math.sin(a)] },
    properties: {
      id,
      kind: 'strike',
      start: '2026-11-25T10:00:00Z',
      end: '2026-11-25T11:00:00Z',
      buffer_m: 200,
    },
  };
}

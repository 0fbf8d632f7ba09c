/**
 * Where the hub may send a request, and the one way it sends one (webhook deliveries).
 *
 * A party admin chooses a webhook's URL; the hub then sends requests from inside its own network.
 * Unchecked, that lets a party reach what only the hub's host can: its own API on loopback, cloud
 * metadata (169.254.169.254), the internal network, and read from the delivery log which internal
 * ports answer (server-side request forgery). So the hub sends only to addresses outside the
 * special-purpose ranges below, unless the hub's operator allows a network
 * (`deconflict serve --webhook-allow 10.20.0.0/16`): on the closed networks this often runs on, the
 * parties' own systems are internal hosts, and the operator — not a party — says which.
 *
 * The address is checked twice: when a webhook is registered (a literal address, and the
 * addresses its name resolves to then) and at every delivery, after resolving the name again —
 * and the connection goes to the very address that was checked (the socket's lookup is pinned to
 * it), so a name that resolves to a public address when checked and to 127.0.0.1 a moment later
 * (DNS rebinding) cannot reach inside. A name that resolves to several addresses is refused if
 * any one of them is. Redirects are never followed.
 *
 * Addresses are parsed by ipaddr.js, not by patterns: the URL parser has already rewritten the
 * odd spellings of IPv4 (`0x7f000001`, `2130706433`, `0177.0.0.1`, `127.1` are all `127.0.0.1` by
 * then), and the IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4) are
 * judged by the IPv4 address they carry.
 *
 * The delivery log says what went wrong in words that reveal nothing of the network: `address not
 * allowed`, `name not resolved`, `connection failed`, `timeout`, `HTTP <status>` — never a socket
 * error's text (which names ports, addresses and the hub's view of them).
 */
import { lookup } from 'node:dns/promises';
import { type ClientRequest, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Network = [Address, number];

/** A special-purpose network the hub does not send to, and what it is. */
export interface RefusedNetwork {
  readonly network: string;
  readonly what: string;
}

/**
 * The networks the hub never sends to unless its operator allows them: everything that is not a
 * public unicast address (IANA's special-purpose registries), the metadata services of the clouds
 * a hub may run in among them.
 */
export const REFUSED_NETWORKS: readonly RefusedNetwork[] = [
  { network: '0.0.0.0/8', what: 'unspecified (0.0.0.0 reaches the hub’s own host)' },
  { network: '10.0.0.0/8', what: 'private (RFC 1918)' },
  { network: '100.64.0.0/10', what: 'shared, carrier-grade NAT (RFC 6598; a cloud metadata service)' },
  { network: '127.0.0.0/8', what: 'loopback' },
  { network: '169.254.0.0/16', what: 'link-local (cloud metadata services)' },
  { network: '172.16.0.0/12', what: 'private (RFC 1918)' },
  { network: '192.0.0.0/24', what: 'IETF protocol assignments (a cloud metadata service)' },
  { network: '192.0.2.0/24', what: 'documentation' },
  { network: '192.88.99.0/24', what: '6to4 relay (deprecated)' },
  { network: '192.168.0.0/16', what: 'private (RFC 1918)' },
  { network: '198.18.0.0/15', what: 'benchmarking' },
  { network: '198.51.100.0/24', what: 'documentation' },
  { network: '203.0.113.0/24', what: 'documentation' },
  { network: '224.0.0.0/4', what: 'multicast' },
  { network: '240.0.0.0/4', what: 'reserved (and broadcast)' },
  { network: '::/128', what: 'unspecified' },
  { network: '::1/128', what: 'loopback' },
  { network: '64:ff9b:1::/48', what: 'local-use IPv4/IPv6 translation (RFC 8215)' },
  { network: '100::/64', what: 'discard-only' },
  { network: '2001::/32', what: 'Teredo tunnel' },
  { network: '2001:db8::/32', what: 'documentation' },
  { network: 'fc00::/7', what: 'unique local (RFC 4193; a cloud metadata service)' },
  { network: 'fe80::/10', what: 'link-local' },
  { network: 'fec0::/10', what: 'site-local (deprecated)' },
  { network: 'ff00::/8', what: 'multicast' },
];

/**
 * IPv6 forms that carry an IPv4 address, judged by that address (a packet to them reaches it, or
 * a gateway that forwards to it): the byte at which the IPv4 address starts.
 */
const EMBEDDING: readonly { readonly network: string; readonly what: string; readonly at: number }[] = [
  { network: '::ffff:0:0/96', what: 'IPv4-mapped', at: 12 },
  { network: '::ffff:0:0:0/96', what: 'IPv4-translated', at: 12 },
  { network: '::/96', what: 'IPv4-compatible', at: 12 },
  { network: '64:ff9b::/96', what: 'NAT64', at: 12 },
  { network: '2002::/16', what: '6to4', at: 2 },
];

const REFUSED: readonly (readonly [Network, string])[] = REFUSED_NETWORKS.map((r) => [
  ipaddr.parseCIDR(r.network),
  r.what,
]);
const EMBEDDED: readonly (readonly [Network, string, number])[] = EMBEDDING.map((e) => [
  ipaddr.parseCIDR(e.network),
  e.what,
  e.at,
]);

const within = (a: Address, [net, bits]: Network): boolean => a.kind() === net.kind() && a.match(net, bits);

/**
 * A network as an operator writes it: `10.20.0.0/16`, `fd12:3456::/48`, or one address (`/32`,
 * `/128`). IPv4 only in four decimal parts: an allowance must mean exactly what it says.
 *
 * @throws Error with a message for the command line.
 */
export function parseNetwork(text: string): Network {
  const [addr, bits, ...rest] = text.split('/');
  const bad = () =>
    new Error(`"${text}" is not a network: write it as 10.20.0.0/16, fd12:3456::/48 or one address`);
  if (addr === undefined || rest.length > 0) throw bad();
  const kind = isIP(addr);
  if (kind === 0 || (kind === 4 && !ipaddr.IPv4.isValidFourPartDecimal(addr))) throw bad();
  const a = ipaddr.parse(addr);
  const max = kind === 4 ? 32 : 128;
  if (bits === undefined) return [a, max];
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) throw bad();
  return [a, Number(bits)];
}

/** Which addresses the hub sends to: public unicast ones, and those of the operator's networks. */
export class EgressPolicy {
  private readonly allowed: readonly Network[];

  /** @param allow networks the operator allows (see {@link parseNetwork}); throws on a bad one. */
  constructor(allow: readonly string[] = []) {
    this.allowed = allow.map(parseNetwork);
  }

  /** What kind of address `ip` is, when the hub does not send to it; null when it does. */
  refusal(ip: string): string | null {
    let a: Address;
    try {
      a = ipaddr.parse(ip);
    } catch {
      return 'not an address';
    }
    return this.judge(a);
  }

  private judge(a: Address): string | null {
    if (this.allowed.some((n) => within(a, n))) return null;
    for (const [net, what] of REFUSED) if (within(a, net)) return what;
    for (const [net, what, at] of EMBEDDED) {
      if (!within(a, net)) continue;
      const v4 = new ipaddr.IPv4(a.toByteArray().slice(at, at + 4));
      const inner = this.judge(v4);
      return inner === null ? null : `${what} form of ${inner}`;
    }
    return null;
  }
}

/** A name's addresses, as the system resolves it (getaddrinfo: /etc/hosts, then DNS). */
export type Resolve = (host: string) => Promise<readonly { address: string; family: number }[]>;

export const systemResolve: Resolve = (host) => lookup(host, { all: true, verbatim: true });

/** The host of an http(s) URL as an address or a name: IPv6 without brackets, no final dot. */
export function hostOf(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** Names that are loopback by definition (RFC 6761), whatever a resolver says. */
function isLocalhostName(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return name === 'localhost' || name.endsWith('.localhost');
}

/** Where a URL's host leads: an address the hub may connect to, or why not. */
export type Target =
  | { readonly ok: true; readonly address: string; readonly family: 4 | 6 }
  | {
      readonly ok: false;
      readonly error: 'address not allowed' | 'name not resolved';
      readonly what?: string;
    };

/**
 * Resolve a URL's host and check every address it leads to. The answer names the one address to
 * connect to (the first, in the resolver's order), so that the connection goes where the check
 * looked.
 */
export async function target(url: URL, policy: EgressPolicy, resolve: Resolve): Promise<Target> {
  const host = hostOf(url);
  let found: readonly { address: string; family: number }[];
  if (isIP(host) !== 0) found = [{ address: host, family: isIP(host) }];
  // Loopback by definition, whatever a resolver would say: judged (and reached) as 127.0.0.1.
  else if (isLocalhostName(host)) found = [{ address: '127.0.0.1', family: 4 }];
  else {
    try {
      found = await resolve(host);
    } catch {
      return { ok: false, error: 'name not resolved' };
    }
  }
  const first = found[0];
  if (first === undefined) return { ok: false, error: 'name not resolved' };
  for (const f of found) {
    const what = policy.refusal(f.address);
    if (what !== null) return { ok: false, error: 'address not allowed', what };
  }
  return { ok: true, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** What a POST came to: the receiver's status, or an error in words that reveal nothing inside. */
export type Outcome =
  | { readonly status: number; readonly error: null }
  | {
      readonly status: null;
      readonly error: 'address not allowed' | 'name not resolved' | 'connection failed' | 'timeout';
    };

/**
 * POST `body` to `url` within `timeoutMs` (resolution, connection and the answer's status line),
 * connecting only to an address the policy allows, pinned as described above. The answer's body
 * is not read.
 */
export async function post(
  url: string,
  headers: OutgoingHttpHeaders,
  body: string,
  policy: EgressPolicy,
  resolve: Resolve,
  timeoutMs: number,
): Promise<Outcome> {
  const u = new URL(url);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const timedOut = new Promise<'timeout'>((done) =>
    abort.signal.addEventListener('abort', () => done('timeout'), { once: true }),
  );
  try {
    const where = await Promise.race([target(u, policy, resolve), timedOut]);
    if (where === 'timeout') return { status: null, error: 'timeout' };
    if (!where.ok) return { status: null, error: where.error };
    // The socket's lookup answers the checked address and nothing else (an IP literal is not
    // looked up at all: it is the address checked). TLS still verifies the certificate against the
    // URL's name, and the Host header carries it.
    const pinned: LookupFunction = (_name, options, callback) => {
      if (options.all) callback(null, [{ address: where.address, family: where.family }]);
      else callback(null, where.address, where.family);
    };
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const sent = new Promise<Outcome>((done) => {
      const req: ClientRequest = send(u, {
        method: 'POST',
        headers: { ...headers, host: u.host, 'content-length': Buffer.byteLength(body) },
        lookup: pinned,
        // A connection of its own: never one pooled for another address.
        agent: false,
        signal: abort.signal,
      });
      req.on('response', (res) => {
        done({ status: res.statusCode ?? 0, error: null });
        res.destroy();
      });
      req.on('error', () => done({ status: null, error: 'connection failed' }));
      req.end(body);
    });
    const outcome = await Promise.race([sent, timedOut]);
    return outcome === 'timeout' ? { status: null, error: 'timeout' } : outcome;
  } finally {
    clearTimeout(timer);
  }
}

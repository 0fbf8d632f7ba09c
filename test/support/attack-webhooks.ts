/**
 * The webhook address list of the standing attack suite: every form of an address a webhook must
 * never lead to unless the hub's operator allows its network (docs/security.md, "Webhook
 * addresses"), and public addresses that must be accepted (so that a policy refusing everything
 * cannot pass). Each URL names its host literally or by a name that is loopback by definition, so
 * registering it needs no DNS; the tests of DNS answers (rebinding, a name with several addresses)
 * give the hub a resolver of their own.
 *
 * `port` is where the hub itself listens in a test, so that its own API is among the targets.
 */

export interface AddressCase {
  readonly url: string;
  /** What the address is (for the failure message). */
  readonly what: string;
}

/** URLs whose host is, or stands for, an address the hub must not send to. */
export function refusedWebhookUrls(port = 8080): readonly AddressCase[] {
  const at = (host: string, path = '/hook') => `http://${host}:${port}${path}`;
  return [
    // Loopback, and the hub's own API on it.
    { url: at('127.0.0.1'), what: 'loopback' },
    { url: at('127.0.0.1', '/api/v1/session'), what: "the hub's own API" },
    { url: 'http://127.0.0.2/', what: 'loopback, not .1' },
    { url: 'http://127.255.255.254/', what: 'loopback, top of 127/8' },
    { url: at('localhost'), what: 'localhost' },
    { url: 'http://LOCALHOST/', what: 'localhost, upper case' },
    { url: 'http://localhost./', what: 'localhost, fully qualified' },
    { url: 'http://hub.localhost/', what: 'a .localhost name (RFC 6761)' },
    { url: at('[::1]'), what: 'IPv6 loopback' },
    { url: 'http://[0:0:0:0:0:0:0:1]/', what: 'IPv6 loopback, written out' },
    { url: 'https://127.0.0.1/', what: 'loopback over https' },
    { url: 'https://[::1]:8443/', what: 'IPv6 loopback over https' },
    // IPv4 in the spellings the URL parser rewrites.
    { url: at('0x7f000001'), what: 'loopback as one hexadecimal number' },
    { url: 'http://2130706433/', what: 'loopback as one decimal number' },
    { url: 'http://017700000001/', what: 'loopback as one octal number' },
    { url: 'http://0177.0.0.1/', what: 'loopback with an octal part' },
    { url: 'http://0x7f.0.0.1/', what: 'loopback with a hexadecimal part' },
    { url: 'http://127.1/', what: 'loopback in two parts' },
    { url: 'http://127.0.1/', what: 'loopback in three parts' },
    // Unspecified: 0.0.0.0 reaches the local host.
    { url: at('0.0.0.0'), what: 'unspecified' },
    { url: 'http://0/', what: 'unspecified as one number' },
    { url: 'http://[::]/', what: 'IPv6 unspecified' },
    // IPv6 forms that carry an IPv4 address.
    { url: 'http://[::ffff:127.0.0.1]/', what: 'IPv4-mapped loopback' },
    { url: 'http://[::ffff:7f00:1]/', what: 'IPv4-mapped loopback, hexadecimal' },
    { url: 'http://[0:0:0:0:0:ffff:169.254.169.254]/', what: 'IPv4-mapped metadata' },
    { url: 'http://[::ffff:10.0.0.1]/', what: 'IPv4-mapped private' },
    { url: 'http://[::127.0.0.1]/', what: 'IPv4-compatible loopback' },
    { url: 'http://[::ffff:0:7f00:1]/', what: 'IPv4-translated loopback' },
    { url: 'http://[64:ff9b::7f00:1]/', what: 'NAT64 of loopback' },
    { url: 'http://[64:ff9b::a9fe:a9fe]/', what: 'NAT64 of metadata' },
    { url: 'http://[64:ff9b:1::a00:1]/', what: 'local-use NAT64' },
    { url: 'http://[2002:7f00:1::1]/', what: '6to4 of loopback' },
    { url: 'http://[2002:a9fe:a9fe::1]/', what: '6to4 of metadata' },
    { url: 'http://[2001:0:4136:e378::1]/', what: 'Teredo' },
    // Link-local and the clouds' metadata services.
    { url: 'http://169.254.169.254/latest/meta-data/', what: 'cloud metadata' },
    { url: 'http://169.254.170.2/v2/credentials', what: 'container credentials' },
    { url: 'http://[fd00:ec2::254]/latest/meta-data/', what: 'cloud metadata over IPv6' },
    { url: 'http://100.100.100.200/latest/meta-data/', what: 'cloud metadata in shared space' },
    { url: 'http://192.0.0.192/', what: 'cloud metadata in IETF assignments' },
    { url: 'http://[fe80::1]/', what: 'IPv6 link-local' },
    // Private networks.
    { url: 'http://10.0.0.5:9000/deconflict', what: 'private 10/8' },
    { url: 'http://172.16.0.1/', what: 'private 172.16/12' },
    { url: 'http://172.31.255.255/', what: 'private 172.16/12, top' },
    { url: 'http://192.168.1.1/', what: 'private 192.168/16' },
    { url: 'http://100.64.0.1/', what: 'shared (carrier-grade NAT)' },
    { url: 'http://[fc00::1]/', what: 'unique local' },
    { url: 'http://[fd12:3456::1]/', what: 'unique local, fd' },
    { url: 'http://[fec0::1]/', what: 'site-local' },
    // Multicast, broadcast, reserved, documentation, benchmarking.
    { url: 'http://224.0.0.1/', what: 'multicast' },
    { url: 'http://239.255.255.250:1900/', what: 'multicast (SSDP)' },
    { url: 'http://255.255.255.255/', what: 'broadcast' },
    { url: 'http://240.0.0.1/', what: 'reserved' },
    { url: 'http://[ff02::1]/', what: 'IPv6 multicast' },
    { url: 'http://192.0.2.1/', what: 'documentation' },
    { url: 'http://198.18.0.1/', what: 'benchmarking' },
    { url: 'http://[2001:db8::1]/', what: 'IPv6 documentation' },
    { url: 'http://[100::1]/', what: 'discard-only' },
  ];
}

/** Public addresses, in the same forms: a hub must accept them (no DNS is needed to register). */
export const PUBLIC_WEBHOOK_URLS: readonly AddressCase[] = [
  { url: 'http://93.184.216.34/hook', what: 'public IPv4' },
  { url: 'https://1.1.1.1/hook', what: 'public IPv4 over https' },
  { url: 'http://[2606:4700:4700::1111]/hook', what: 'public IPv6' },
  { url: 'http://[::ffff:8.8.8.8]/hook', what: 'IPv4-mapped public' },
  { url: 'http://[64:ff9b::808:808]/hook', what: 'NAT64 of a public address' },
  { url: 'http://0x08080808/hook', what: 'public IPv4 as one hexadecimal number' },
];

/**
 * Kong's `trusted_ips` as nginx and the PDK apply it.
 *
 * - kong/pdk/ip.lua is_trusted: an ipmatcher over `trusted_ips`, so entries are addresses or
 *   CIDR blocks of either family (`0.0.0.0/0, ::/0` trusts everyone; `unix:` is ignored here).
 * - kong/templates/nginx_kong.lua puts `set_real_ip_from` for every entry and
 *   `real_ip_header` (default X-Real-IP) / `real_ip_recursive` (default off) in the proxy
 *   server: nginx's realip module then replaces $remote_addr, in the post-read phase, with the
 *   address the trusted peer forwarded, and keeps the peer in $realip_remote_addr.
 *   kong.client.get_ip reads the peer, kong.client.get_forwarded_ip and serialize's client_ip
 *   read $remote_addr.
 */
import net from 'node:net';

export interface RealIpConfig {
  trustedIps: readonly string[];
  /** kong.conf real_ip_header: X-Real-IP (Kong's default) or X-Forwarded-For. */
  realIpHeader?: string;
  /** kong.conf real_ip_recursive (off by default). */
  realIpRecursive?: boolean;
}

type Matcher = (ip: string) => boolean;
const MATCHERS = new WeakMap<readonly string[], Matcher>();

function familyOf(ip: string): 'ipv4' | 'ipv6' | undefined {
  const v = net.isIP(ip);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined;
}

function buildMatcher(entries: readonly string[]): Matcher {
  const list = new net.BlockList();
  for (const entry of entries) {
    if (entry.startsWith('unix:')) continue;
    const [addr, bits] = entry.split('/');
    const family = familyOf(addr);
    if (!family) throw new Error(`trusted_ips: "${entry}" is not an address or CIDR block`);
    if (bits === undefined) list.addAddress(addr, family);
    else list.addSubnet(addr, Number(bits), family);
  }
  return (ip) => {
    const family = familyOf(ip);
    return family !== undefined && list.check(ip, family);
  };
}

/** kong.ip.is_trusted(ip). */
export function isTrustedIp(config: RealIpConfig, ip: string): boolean {
  let m = MATCHERS.get(config.trustedIps);
  if (!m) {
    m = buildMatcher(config.trustedIps);
    MATCHERS.set(config.trustedIps, m);
  }
  return m(ip);
}

/**
 * ngx_http_realip_module: the new $remote_addr for a request from `peer` whose header holds
 * `values` (every line of real_ip_header). From an untrusted peer, or without a usable
 * address, $remote_addr stays the peer.
 */
export function realIpAddress(config: RealIpConfig, peer: string, values: readonly string[]): string {
  if (values.length === 0 || !isTrustedIp(config, peer)) return peer;
  const header = (config.realIpHeader ?? 'X-Real-IP').toLowerCase();
  if (header !== 'x-forwarded-for') {
    // X-Real-IP and other single-address headers: the first line, trimmed, must be an address
    const addr = values[0].trim();
    return familyOf(addr) ? addr : peer;
  }
  // ngx_http_get_forwarded_addr: from the right, the last address; recursive skips trusted ones
  const addrs = values.join(',').split(',').map((a) => a.trim()).filter((a) => a !== '');
  for (let i = addrs.length - 1; i >= 0; i--) {
    const addr = addrs[i];
    if (!familyOf(addr)) return peer;
    if (!config.realIpRecursive || !isTrustedIp(config, addr) || i === 0) return addr;
  }
  return peer;
}

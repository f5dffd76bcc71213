/**
 * Kong's host and address checks (kong/tools/ip.lua `normalize_ip` and the validators built on
 * it: typedefs `validate_host`, targets' `validate_target`, upstreams' `validate_name`, routes' `wildcard_host`). They are
 * Lua `custom_validator`s, which `GET /schemas` does not show, so kong-ctl carries them, written
 * after Kong's Lua patterns.
 */

export type HostType = 'ipv4' | 'ipv6' | 'name';

export interface NormalizedHost {
  type: HostType;
  host: string;
  port?: number;
}

type Result = { host: string; port?: number } | { error: string };

/** By exclusion, as Kong decides it: more than one colon is IPv6, digits and dots IPv4. */
export function hostnameType(name: string): HostType {
  const colons = (name.match(/:/g) ?? []).length;
  if (colons > 1) return 'ipv6';
  if (/^[\d.]+$/.test(name.replace(/:/g, ''))) return 'ipv4';
  return 'name';
}

const INVALID_PORT = 'invalid port number';

function normalizeIpv4(address: string): Result {
  const m = address.includes(':')
    ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d+)$/.exec(address)
    : /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (!m) return { error: `invalid ipv4 address: ${address}` };
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return { error: `invalid ipv4 address: ${address}` };
  if (m[5] !== undefined && Number(m[5]) > 65535) return { error: INVALID_PORT };
  return { host: octets.join('.'), ...(m[5] !== undefined ? { port: Number(m[5]) } : {}) };
}

function normalizeIpv6(address: string): Result {
  let check: string;
  let port: number | undefined;
  const bracketed = /^(\[[^\]]*\])(.*)$/.exec(address);
  if (bracketed) {
    check = bracketed[1].slice(1, -1);
    if (bracketed[2] !== '') {
      const p = /^:(\d*)$/.exec(bracketed[2]);
      if (!p) return { error: 'invalid ipv6 address' };
      port = Number(p[1]);
      if (port > 65535) return { error: INVALID_PORT };
    }
  } else check = address;
  if (check.startsWith(':')) check = `0${check}`;
  if (check.endsWith(':')) check = `${check}0`;
  if (check.includes('::')) {
    const count = (check.match(/:/g) ?? []).length;
    check = check.replace('::', `:${'0:'.repeat(Math.max(0, 8 - count))}`);
  }
  const groups = /^([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})$/.exec(check);
  if (!groups) return { error: `invalid ipv6 address: ${address}` };
  return { host: groups.slice(1).map((g) => g.padStart(4, '0').toLowerCase()).join(':'), ...(port !== undefined ? { port } : {}) };
}

function checkHostname(address: string): Result {
  let name = address;
  let port: number | undefined;
  const p = /:(\d+)$/.exec(address);
  if (p) {
    name = name.slice(0, -(p[1].length + 1));
    port = Number(p[1]);
    if (port > 65535) return { error: INVALID_PORT };
  }
  if (!/^[0-9A-Za-z\-._]+$/.test(name)) return { error: `invalid hostname: ${address}` };
  // Each dot-separated segment: no trailing dash, none empty but a last one (an FQDN's final dot).
  const segments = name.split('.');
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
  if (segments.some((s) => s.endsWith('-') || s === '')) return { error: `invalid hostname: ${address}` };
  return { host: name, ...(port !== undefined ? { port } : {}) };
}

/** Kong's `normalize_ip`: the address (ipv4[:port], ipv6, [ipv6][:port], name[:port]) or why it is none. */
export function normalizeIp(address: string): NormalizedHost | { error: string } {
  const type = hostnameType(address);
  const r = type === 'ipv4' ? normalizeIpv4(address) : type === 'ipv6' ? normalizeIpv6(address) : checkHostname(address);
  return 'error' in r ? r : { type, ...r };
}

/** typedefs `validate_host` (a service's `host`): an address or a name, without a port. */
export function hostProblem(host: string): string | undefined {
  const r = normalizeIp(host);
  if ('error' in r) return r.error === INVALID_PORT ? 'must not have a port' : `invalid value: ${host}`;
  return r.port !== undefined ? 'must not have a port' : undefined;
}

/** targets' `validate_target`: an address or a name, with an optional port. */
export function targetProblem(target: string): string | undefined {
  return 'error' in normalizeIp(target) ? `Invalid target ('${target}'); not a valid hostname or ip address` : undefined;
}

/** upstreams' `validate_name`: a hostname, neither an address nor with a port. */
export function upstreamNameProblem(name: string): string | undefined {
  const r = normalizeIp(name);
  if ('error' in r) return 'Invalid name; must be a valid hostname';
  if (r.type !== 'name') return 'Invalid name; no ip addresses allowed';
  return r.port !== undefined ? 'Invalid name; no port allowed' : undefined;
}

/** routes' `hosts` (typedefs `wildcard_host`): a name or address with an optional port, one `*` as the leftmost or rightmost label. */
export function routeHostProblem(host: string): string | undefined {
  const stars = host.split('*').length - 1;
  if (stars > 1) return 'invalid wildcard: must have at most one wildcard';
  if (stars === 1 && !host.startsWith('*.') && !host.endsWith('.*')) return 'invalid wildcard: must be placed at leftmost or rightmost label';
  return 'error' in normalizeIp(host.replace('*', 'wildcard')) ? `invalid value: ${host}` : undefined;
}

/**
 * routes.hosts' custom validator (typedefs `validate_host_with_wildcards`), after the wildcard
 * placement rules the routes schema shows: each '*' read as "abc", then a name or address with
 * an optional port. Kong's message names the host it checked.
 */
export function routeHostCustomProblem(host: string): string | undefined {
  const stars = host.split('*').length - 1;
  if (stars > 1 || (stars === 1 && !host.startsWith('*.') && !host.endsWith('.*'))) return undefined;
  const r = normalizeIp(host.replace(/\*/g, 'abc'));
  return 'error' in r ? r.error : undefined;
}

/**
 * A service's `url` is write-only sugar: Kong splits it into protocol, host, port and path
 * (the `url` shorthand in kong/db/schema/entities/services.lua) and never returns it. Its
 * schema JSON does not list it, so the split is replayed here: a missing port is 80 for http
 * and 443 for https, a missing path is null. As in decK (and desired/build.ts, which already
 * expands files this way), fields written beside `url` win over it.
 */

const URL_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/;

export interface ServiceUrlParts {
  protocol: string;
  host: string | null;
  port: number | null;
  path: string | null;
}

export function splitServiceUrl(url: string): ServiceUrlParts | null {
  const m = URL_RE.exec(url.trim());
  if (!m) return null;
  const protocol = m[1].toLowerCase();
  const authority = m[2].slice(m[2].lastIndexOf('@') + 1);
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    host = authority.slice(0, end + 1);
    const rest = authority.slice(end + 1);
    portText = rest.startsWith(':') ? rest.slice(1) : undefined;
  } else {
    const i = authority.lastIndexOf(':');
    host = i >= 0 ? authority.slice(0, i) : authority;
    portText = i >= 0 ? authority.slice(i + 1) : undefined;
  }
  let port: number | null = portText ? Number(portText) : null;
  if (port === null || Number.isNaN(port)) port = protocol === 'http' ? 80 : protocol === 'https' ? 443 : null;
  return { protocol, host: host || null, port, path: m[3] ? m[3] : null };
}

/** The fields with `url` replaced by what it stands for; masked paths follow the split. */
export function expandServiceUrl(
  fields: Record<string, unknown>,
  masked: string[],
): { fields: Record<string, unknown>; masked: string[] } {
  if (typeof fields.url !== 'string') return { fields, masked };
  const parts = splitServiceUrl(fields.url);
  if (!parts) return { fields, masked };
  const { url: _url, ...expanded } = fields;
  const urlMasked = masked.includes('url');
  const out = masked.filter((p) => p !== 'url');
  for (const [k, v] of Object.entries(parts)) {
    if (expanded[k] !== undefined && expanded[k] !== null) continue;
    expanded[k] = v;
    if (urlMasked) out.push(k);
  }
  return { fields: expanded, masked: urlMasked ? out : masked };
}

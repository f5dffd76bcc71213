/**
 * Kong's `typedefs.url` check (kong/db/schema/typedefs.lua `validate_url`, on LuaSocket's
 * `socket.url.parse`): a Lua `custom_validator`, which `GET /schemas` does not show, so a bundled
 * plugin's endpoint without a host would pass offline and fail at Kong (`POST /config`, or an
 * Admin API write in the middle of an apply). Written after LuaSocket 3.0's parser.
 */

/** The config fields of Kong's bundled plugins that are `typedefs.url` (Kong 3.4: those its `/schemas` describe as URLs). */
export const BUNDLED_URL_FIELDS: Record<string, string[][]> = {
  acme: [['config', 'api_uri']],
  'aws-lambda': [['config', 'proxy_url']],
  'http-log': [['config', 'http_endpoint']],
  opentelemetry: [['config', 'endpoint']],
  zipkin: [['config', 'http_endpoint']],
};

/** LuaSocket's `url.parse`, the parts `validate_url` looks at: fragment, then scheme, then authority. */
function parse(url: string): { scheme?: string; host?: string } {
  let rest = url.replace(/#[\s\S]*$/, '');
  let scheme: string | undefined;
  rest = rest.replace(/^([A-Za-z0-9][A-Za-z0-9+\-.]*):/, (_, s: string) => ((scheme = s), ''));
  let authority: string | undefined;
  rest = rest.replace(/^\/\/([^/]*)/, (_, a: string) => ((authority = a), ''));
  if (authority === undefined) return { scheme };
  const hostPort = authority.replace(/^[^@]*@/, '').replace(/:[^:\]]*$/, '');
  if (hostPort === '') return { scheme };
  return { scheme, host: /^\[(.+)\]$/.exec(hostPort)?.[1] ?? hostPort };
}

/** Kong's message for a URL its validator refuses, or undefined. An empty string is the length check's. */
export function urlProblem(url: string): string | undefined {
  if (url === '') return undefined;
  const parsed = parse(url);
  if (parsed.host === undefined) return 'missing host in url';
  if (parsed.scheme === undefined) return 'missing scheme in url';
  return undefined;
}

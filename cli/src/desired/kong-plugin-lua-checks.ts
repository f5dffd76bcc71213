/**
 * Bundled plugins' own Lua checks (Kong 3.4 kong/plugins/<name>/schema.lua): `custom_validator`s
 * on config fields and `custom_entity_check`s, which `GET /schemas` does not show (or shows only
 * as field sources), so a config that fails them passed kong-ctl and failed only at Kong
 * (`POST /config`, or an Admin API write in the middle of an apply). Kong's messages.
 * Typedef-based checks are kong-typedefs.ts's and URLs kong-url.ts's.
 */
import { headerNameProblem } from './kong-typedefs';
import { regexPathError } from './route-paths';

export interface PluginLuaProblem {
  /** Inside the plugin entity (`config`, …). */
  path: (string | number)[];
  message: string;
}

type Check = (config: Record<string, unknown>) => PluginLuaProblem[];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Each string element of `config[record][list]`, with its path. */
function elements(config: Record<string, unknown>, record: string, list: string): [string, (string | number)[]][] {
  const r = config[record];
  const l = isRecord(r) ? r[list] : undefined;
  if (!Array.isArray(l)) return [];
  return l.flatMap((v, i) => (typeof v === 'string' ? [[v, ['config', record, list, i]] as [string, (string | number)[]]] : []));
}

/** `name:value` as the transformers split it (`^([^:]+):*(.-)$`). */
function splitPair(entry: string): { name?: string; value: string } {
  const m = /^([^:]+):*([\s\S]*)$/.exec(entry);
  return m ? { name: m[1], value: m[2]! } : { value: '' };
}

/** The transformers' `validate_headers`: the name (and, for a rename, the new name) is a header name. */
function headerPairProblem(entry: string, bothNames: boolean): string | undefined {
  const { name, value } = splitPair(entry);
  if (name === undefined || headerNameProblem(name)) return `'${name ?? 'nil'}' is not a valid header`;
  if (bothNames && headerNameProblem(value)) return `'${value}' is not a valid header`;
  return undefined;
}

/** Lists whose elements the schema's (visible) `match = "^[^:]+:.*$"` checks first: only those that pass it go on. */
const hasColonPair = (v: string) => /^[^:]+:/.test(v);

const requestTransformer: Check = (config) => {
  const out: PluginLuaProblem[] = [];
  for (const [v, path] of elements(config, 'remove', 'headers')) {
    const message = headerPairProblem(v, false);
    if (message) out.push({ path, message });
  }
  for (const record of ['rename', 'replace', 'add', 'append']) {
    for (const [v, path] of elements(config, record, 'headers')) {
      // A rename's value is the new header's name; the others' values are left to the node
      // (the value check changed after 3.4).
      const message = hasColonPair(v) ? headerPairProblem(v, record === 'rename') : undefined;
      if (message) out.push({ path, message });
    }
    // check_for_value: a body or querystring entry is `name:value`, the value not empty.
    for (const list of ['body', 'querystring']) {
      for (const [v, path] of elements(config, record, list)) {
        const { name, value } = splitPair(v);
        if (name !== undefined && value === '') out.push({ path, message: `key '${name}' has no value` });
      }
    }
  }
  return out;
};

const responseTransformer: Check = (config) =>
  elements(config, 'rename', 'headers').flatMap(([v, path]) => {
    const message = hasColonPair(v) ? headerPairProblem(v, true) : undefined;
    return message ? [{ path, message }] : [];
  });

/** cors' `validate_asterisk_or_regex` (PCRE; JS decides only where it surely agrees, route-paths.ts). */
const cors: Check = (config) => {
  const origins = config.origins;
  if (!Array.isArray(origins)) return [];
  return origins.flatMap((o, i) =>
    typeof o === 'string' && o !== '*' && regexPathError(o) !== null ? [{ path: ['config', 'origins', i], message: `'${o}' is not a valid regex` }] : [],
  );
};

/** aws-lambda's entity check: the proxy is spoken to in plain HTTP (CONNECT), never https://. */
const awsLambda: Check = (config) => {
  const url = config.proxy_url;
  const scheme = typeof url === 'string' ? /^([^:]+):\/\//.exec(url)?.[1] : undefined;
  return scheme !== undefined && scheme !== 'http' ? [{ path: ['config', 'proxy_url'], message: 'proxy_url scheme must be http' }] : [];
};

const ORDERED_PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'];

/** The rate limiters' `validate_periods_order`: a longer period never allows fewer requests than a shorter one. */
function periodsOrderProblem(limits: Record<string, unknown>): string | undefined {
  for (let i = 0; i < ORDERED_PERIODS.length; i++) {
    const lower = ORDERED_PERIODS[i]!;
    const v1 = limits[lower];
    if (typeof v1 !== 'number') continue;
    for (const upper of ORDERED_PERIODS.slice(i + 1)) {
      const v2 = limits[upper];
      if (typeof v2 === 'number' && v2 < v1) {
        return `The limit for ${upper}(${v2.toFixed(1)}) cannot be lower than the limit for ${lower}(${v1.toFixed(1)})`;
      }
    }
  }
  return undefined;
}

const rateLimiting: Check = (config) => {
  const message = periodsOrderProblem(config);
  return message ? [{ path: ['config'], message }] : [];
};

/** Each named limit (`limits.<name>`) is checked on its own. */
const responseRatelimiting: Check = (config) => {
  const limits = config.limits;
  if (!isRecord(limits)) return [];
  return Object.entries(limits).flatMap(([name, l]) => {
    const message = isRecord(l) ? periodsOrderProblem(l) : undefined;
    return message ? [{ path: ['config', 'limits', name], message }] : [];
  });
};

/** request-termination's config `custom_validator`: a message, or a body with its content type, or an echo. */
const requestTermination: Check = (config) => {
  const present = (v: unknown) => v !== undefined && v !== null && v !== '';
  let message: string | undefined;
  if (present(config.message) && (present(config.content_type) || present(config.body))) message = 'message cannot be used with content_type or body';
  else if (present(config.content_type) && !present(config.body)) message = 'content_type requires a body';
  else if (config.echo === true && (present(config.content_type) || present(config.body))) message = 'echo cannot be used with content_type and body';
  return message ? [{ path: ['config'], message }] : [];
};

const OAUTH2_FLOWS = ['enable_authorization_code', 'enable_implicit_grant', 'enable_client_credentials', 'enable_password_grant'];

/** oauth2's `validate_flows`: every flow defaults to false, so a config that enables none is refused. */
const oauth2: Check = (config) =>
  OAUTH2_FLOWS.some((f) => config[f] === true) ? [] : [{ path: ['config'], message: `at least one of these fields must be true: ${OAUTH2_FLOWS.join(', ')}` }];

export const BUNDLED_PLUGIN_LUA_CHECKS: Partial<Record<string, Check>> = {
  'aws-lambda': awsLambda,
  cors,
  oauth2,
  'rate-limiting': rateLimiting,
  'request-termination': requestTermination,
  'request-transformer': requestTransformer,
  'response-ratelimiting': responseRatelimiting,
  'response-transformer': responseTransformer,
};

/** What a bundled plugin's own Lua checks refuse in this config. */
export function bundledPluginLuaProblems(name: string, config: unknown): PluginLuaProblem[] {
  // Own keys only: a custom plugin named `constructor` has no check here (not Object).
  const check = Object.hasOwn(BUNDLED_PLUGIN_LUA_CHECKS, name) ? BUNDLED_PLUGIN_LUA_CHECKS[name] : undefined;
  return check && isRecord(config) ? check(config) : [];
}

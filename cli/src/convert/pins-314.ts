/**
 * Kong 3.14 made several defaults secure: a route's `protocols` went from ["http", "https"] to
 * ["https"], the auth plugins' `hide_credentials` from false to true, many plugins' TLS
 * verification fields from false to true, and the global `tls_certificate_verify` from off to
 * on (a service with a secure protocol and no `tls_verify` now verifies its upstream's
 * certificate). A file that relied on the old defaults behaves differently on 3.14, and
 * `kong-ctl diff` shows the node's new defaults as updates. This pins the old values into the
 * file, as decK's `deck file convert --from 3.10 --to 3.14` does (convert/route_updates_314.go
 * at ff7e2262, service_updates_314.go at 23604c5c, plugin_updates_314.go and its test at
 * 1564af0c, https://github.com/Kong/deck, Apache-2.0): exactly the fields decK pins, under the
 * same conditions, but for these differences (test/fixtures/deck-convert/README.md):
 *  - a service's protocol is also read from its `url` (`url: https://…`), and from
 *    `_info.defaults.service.protocol`, as Kong and the loader read them: decK looks at
 *    `protocol` only, and leaves a `url: https://…` service unpinned;
 *  - a value the file's `_info.defaults` (route `protocols`, service `tls_verify`) or a
 *    plugin's `_plugin_configs` entry gives is not pinned over: decK would pin the old default
 *    on top of it, weakening what the file asked for;
 *  - a value that comes from `${{ env … }}` is left as written, and one that decides whether
 *    to pin (a service's protocol, a plugin's name) is a warning at its line: decK renders the
 *    environment into the file it writes.
 * Only a value that is absent is pinned; one written explicitly is never touched.
 */
import { isPlainObject } from '../desired/kong-schema-check';
import { getOwn } from '../model/own';
import type { PathSegment } from '../desired/positions';
import { TEMPLATE, get, pluginPlaces, routePlaces, type Change, type Found, type Report } from './changes';

/** A route's protocols before Kong 3.14 (`route_updates_314.go`). */
export const OLD_ROUTE_PROTOCOLS: readonly string[] = ['http', 'https'];

/** The service protocols `tls_verify` applies to (`secureServiceProtocols`). */
export const SECURE_SERVICE_PROTOCOLS: readonly string[] = ['https', 'tls', 'grpcs', 'wss'];

/**
 * Of those, the ones Kong's services schema does not let set `tls_verify` (its entity check: null
 * unless the protocol is https or tls, and wss in Kong Enterprise): decK pins it there anyway,
 * which Kong then refuses, so the file could not be applied.
 */
const NO_TLS_VERIFY_FIELD: readonly string[] = ['grpcs'];

/** Auth plugins whose `hide_credentials` default went from false to true (`hideCredentialsPlugins`). */
export const HIDE_CREDENTIALS_PLUGINS: readonly string[] = [
  'key-auth',
  'key-auth-enc',
  'basic-auth',
  'hmac-auth',
  'ldap-auth',
  'oauth2',
  'oauth2-introspection',
  'vault-auth',
  'ldap-auth-advanced',
];

const AI_VECTORDB = ['vectordb.pgvector.ssl_verify', 'vectordb.redis.ssl_verify'];

/**
 * Per plugin, the config fields (dotted paths under `config`) whose TLS verification default
 * went from false to true (`sslVerifyPluginConfigSetters`). A nested field is pinned only where
 * the file writes its parent record (decK's `setNestedBoolDefault`): a record the file leaves
 * out takes all its defaults, and pinning one field would have to invent the rest.
 */
export const TLS_VERIFY_FIELDS: Readonly<Record<string, readonly string[]>> = {
  ace: ['rate_limiting.redis.ssl_verify'],
  acme: ['storage_config.redis.ssl_verify'],
  'ai-aws-guardrail': ['ssl_verify'],
  'ai-azure-content-safety': ['ssl_verify'],
  'ai-proxy-advanced': AI_VECTORDB,
  'ai-rag-injector': AI_VECTORDB,
  'ai-rate-limiting-advanced': ['redis.ssl_verify'],
  'ai-semantic-cache': AI_VECTORDB,
  'ai-semantic-prompt-guard': AI_VECTORDB,
  'ai-semantic-response-guard': AI_VECTORDB,
  'aws-lambda': ['ssl_verify'],
  'azure-functions': ['https_verify'],
  'basic-auth': ['brute_force_protection.redis.ssl_verify'],
  confluent: ['security.ssl_verify', 'schema_registry.confluent.authentication.oauth2_client.ssl_verify'],
  'confluent-consume': ['security.ssl_verify', 'schema_registry.confluent.authentication.oauth2_client.ssl_verify'],
  // and `nodes[].ssl_verify` of each node of type "call": DATAKIT_CALL_NODES
  datakit: ['resources.cache.redis.ssl_verify'],
  'forward-proxy': ['https_verify'],
  'graphql-proxy-cache-advanced': ['redis.ssl_verify'],
  'graphql-rate-limiting-advanced': ['redis.ssl_verify'],
  'header-cert-auth': ['ssl_verify'],
  'http-log': ['ssl_verify'],
  'jwt-signer': ['access_token_endpoints_ssl_verify', 'channel_token_endpoints_ssl_verify'],
  'kafka-consume': [
    'security.ssl_verify',
    'schema_registry.confluent.authentication.oauth2_client.ssl_verify',
    'topics.schema_registry.confluent.authentication.oauth2_client.ssl_verify',
  ],
  'kafka-log': ['security.ssl_verify', 'schema_registry.confluent.authentication.oauth2_client.ssl_verify'],
  'kafka-upstream': ['security.ssl_verify', 'schema_registry.confluent.authentication.oauth2_client.ssl_verify'],
  'ldap-auth': ['verify_ldap_host'],
  'ldap-auth-advanced': ['verify_ldap_host'],
  'mtls-auth': ['ssl_verify'],
  'openid-connect': ['ssl_verify', 'cluster_cache_redis.ssl_verify', 'redis.ssl_verify', 'session_memcached_ssl_verify'],
  'proxy-cache-advanced': ['redis.ssl_verify'],
  'rate-limiting': ['redis.ssl_verify'],
  'rate-limiting-advanced': ['redis.ssl_verify'],
  'redis-partials': ['ssl_verify'],
  'request-callout': ['cache.redis.ssl_verify', 'callouts.request.http_opts.ssl_verify'],
  'response-ratelimiting': ['redis.ssl_verify'],
  saml: ['redis.ssl_verify'],
  'service-protection': ['redis.ssl_verify'],
  'solace-consume': ['session.ssl_validate_certificate'],
  'solace-log': ['session.ssl_validate_certificate'],
  'solace-upstream': ['session.ssl_validate_certificate'],
  'tcp-log': ['ssl_verify'],
  'upstream-oauth': ['client.ssl_verify', 'cache.redis.ssl_verify'],
};

/** datakit: `ssl_verify` on each node of type "call" (decK's `newDatakitNodeSSLVerifySetter`). */
export const DATAKIT_CALL_NODES = { plugin: 'datakit', type: 'call', field: 'ssl_verify' } as const;

const REMOVE = 'remove it to take the new secure default';
const TLS_OFF = 'certificates go unverified, as before 3.14: review it';
const show = (v: unknown) => JSON.stringify(v).replace(/,/g, ', ');

const absent = (v: unknown) => v === undefined || v === null;
/** decK's `len(route.Protocols) == 0`. */
const noProtocols = (v: unknown) => absent(v) || (Array.isArray(v) && v.length === 0);

function defaultsFor(content: Record<string, unknown>, kind: string): Record<string, unknown> {
  const info = content._info;
  const defaults = isPlainObject(info) ? info.defaults : undefined;
  const forKind = isPlainObject(defaults) ? defaults[kind] : undefined;
  return isPlainObject(forKind) ? forKind : {};
}

/** A value at `path` is pinned: added where it is absent, set where it is null (or an empty list). */
function pin(holder: Record<string, unknown>, path: PathSegment[], value: unknown, message: string, insecure: boolean): Change {
  const key = path[path.length - 1] as string;
  const was = holder[key];
  if (key in holder) return { op: 'set', path, value, message: `${show(was)} → ${show(value)}: ${message}`, insecure };
  return { op: 'add', path, value, message: `added ${show(value)}: ${message}`, insecure };
}

function routePins(content: Record<string, unknown>, found: Found): void {
  const fromDefaults = defaultsFor(content, 'route').protocols;
  for (const place of routePlaces(content)) {
    const route = get(content, place);
    if (!isPlainObject(route) || !noProtocols(route.protocols)) continue;
    // `_info.defaults.route.protocols` fills a route that leaves them out (not an empty list).
    if (absent(route.protocols) && !absent(fromDefaults)) continue;
    found.changes.push(
      pin(route, [...place, 'protocols'], [...OLD_ROUTE_PROTOCOLS], `Kong 3.14 defaults a route's protocols to ["https"] only; pinned to the old default; ${REMOVE}`, false),
    );
  }
}

/** Where a service's protocol comes from, as the loader reads it: `protocol`, else `url`, else `_info.defaults`. */
function serviceProtocol(
  service: Record<string, unknown>,
  defaults: Record<string, unknown>,
): { protocol: string; from: string; path: PathSegment[] } | { template: PathSegment[]; what: string } | undefined {
  if (!absent(service.protocol)) {
    if (typeof service.protocol !== 'string') return undefined;
    if (TEMPLATE.test(service.protocol)) return { template: ['protocol'], what: 'its protocol' };
    return { protocol: service.protocol, from: 'protocol', path: ['protocol'] };
  }
  if (typeof service.url === 'string') {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(service.url.trim());
    if (!scheme) return TEMPLATE.test(service.url) ? { template: ['url'], what: "its url's scheme" } : undefined;
    return { protocol: scheme[1].toLowerCase(), from: 'url', path: ['url'] };
  }
  const d = defaults.protocol;
  if (typeof d !== 'string') return undefined;
  if (TEMPLATE.test(d)) return { template: ['_info', 'defaults', 'service', 'protocol'], what: "_info.defaults.service.protocol, which it takes," };
  return { protocol: d, from: '_info.defaults.service.protocol', path: [] };
}

function servicePins(content: Record<string, unknown>, found: Found): void {
  if (!Array.isArray(content.services)) return;
  const defaults = defaultsFor(content, 'service');
  content.services.forEach((service, i) => {
    if (!isPlainObject(service) || !absent(service.tls_verify) || !absent(defaults.tls_verify)) return;
    const at: PathSegment[] = ['services', i];
    const p = serviceProtocol(service, defaults);
    if (!p) return;
    if ('template' in p) {
      const path = p.template[0] === '_info' ? at : [...at, ...p.template];
      found.refusals.push({
        path,
        severity: 'warning',
        message:
          `${p.what} comes from \${{ … }}: if it is ${SECURE_SERVICE_PROTOCOLS.join(', ')}, Kong 3.14 verifies the upstream's certificate ` +
          `(tls_certificate_verify is on) unless the service sets tls_verify; set it by hand to keep the old behaviour`,
      });
      return;
    }
    if (!SECURE_SERVICE_PROTOCOLS.includes(p.protocol)) return;
    if (NO_TLS_VERIFY_FIELD.includes(p.protocol)) {
      found.refusals.push({
        path: p.path.length ? [...at, ...p.path] : at,
        severity: 'warning',
        message:
          `a ${p.protocol} service cannot set tls_verify (Kong's services schema refuses it for protocols other than https, tls and Enterprise's wss), ` +
          `so it is not pinned as decK's convert would pin it: check how Kong 3.14 verifies this upstream's certificate (tls_certificate_verify in kong.conf)`,
      });
      return;
    }
    const source = p.from === 'protocol' ? '' : ` (its protocol, ${p.protocol}, comes from ${p.from === 'url' ? 'its url' : p.from}; decK's convert reads protocol only)`;
    found.changes.push(
      pin(
        service,
        [...at, 'tls_verify'],
        false,
        `Kong 3.14 verifies the upstream's certificate by default for protocol ${p.protocol} (tls_certificate_verify is on)${source}; pinned to the old default: ${TLS_OFF}, and ${REMOVE}`,
        true,
      ),
    );
  });
}

interface Pin {
  /** Under `config`. */
  sub: PathSegment[];
  message: string;
  insecure: boolean;
}

const hideMessage = `Kong 3.14 defaults hide_credentials to true (the credential is no longer sent upstream); pinned to the old default; ${REMOVE}`;
const tlsMessage = (field: string) => `Kong 3.14 defaults ${field} to true (certificates verified); pinned to the old default: ${TLS_OFF}, and ${REMOVE}`;

function pluginPins(content: Record<string, unknown>, found: Found): void {
  const sharedConfigs = isPlainObject(content._plugin_configs) ? content._plugin_configs : {};
  for (const place of pluginPlaces(content, [])) {
    // `_plugin_configs` holds config records, not plugins.
    if (place[0] === '_plugin_configs') continue;
    const plugin = get(content, place) as Record<string, unknown>;
    const name = plugin.name;
    if (typeof name !== 'string') continue;
    if (TEMPLATE.test(name)) {
      found.refusals.push({
        path: [...place, 'name'],
        severity: 'warning',
        message: `the plugin's name comes from \${{ … }}: if it is one whose defaults Kong 3.14 made secure (hide_credentials, TLS verification), pin the old values by hand`,
      });
      continue;
    }
    const hide = HIDE_CREDENTIALS_PLUGINS.includes(name);
    // getOwn: a custom plugin named `constructor` has no TLS fields (not Object's function).
    const fields = (getOwn(TLS_VERIFY_FIELDS, name) as string[] | undefined) ?? [];
    if (!hide && fields.length === 0) continue;
    const own = plugin.config;
    // A config written as one `${{ env … }}` (or not a record) is set as a whole.
    if (!absent(own) && !isPlainObject(own)) continue;
    const config = isPlainObject(own) ? own : undefined;

    // `_config: name` fills every key the plugin's config leaves out, records key by key (decK's
    // fillPluginConfig; desired/plugin-configs.ts).
    const source = plugin._config;
    const named = typeof source === 'string' ? source : undefined;
    const sharedValue = named === undefined ? undefined : getOwn(sharedConfigs, named);
    const shared = isPlainObject(sharedValue) ? sharedValue : undefined;
    const unknownShared = named !== undefined && !shared;
    const has = (key: string) => Boolean(config && key in config) || Boolean(shared && key in shared);

    const pins: Pin[] = [];
    const notPinned: string[] = [];
    const topLevel = (key: string, message: string, insecure: boolean) => {
      if (has(key)) return;
      if (unknownShared) notPinned.push(key);
      else pins.push({ sub: [key], message, insecure });
    };
    if (hide) topLevel('hide_credentials', hideMessage, false);
    for (const field of fields) {
      const segs = field.split('.');
      if (segs.length === 1) {
        topLevel(field, tlsMessage(field), true);
        continue;
      }
      // Only the leaf is added, and only where the file writes its parent record.
      const parentOf = (root: Record<string, unknown> | undefined): Record<string, unknown> | undefined => {
        let node: unknown = root;
        for (const seg of segs.slice(0, -1)) node = isPlainObject(node) ? node[seg] : undefined;
        return isPlainObject(node) ? node : undefined;
      };
      const leaf = segs[segs.length - 1];
      if (config && segs[0] in config) {
        const parent = parentOf(config);
        // The shared record fills what the plugin's own leaves out, at every level.
        const sharedParent = parentOf(shared);
        if (parent && !(leaf in parent) && !(sharedParent && leaf in sharedParent)) pins.push({ sub: segs, message: tlsMessage(field), insecure: true });
      } else if (shared && segs[0] in shared) {
        // The record is the shared config's, written once for every plugin that names it.
        const parent = parentOf(shared);
        if (parent && !(leaf in parent)) notPinned.push(field);
      }
    }
    if (name === DATAKIT_CALL_NODES.plugin && config && Array.isArray(config.nodes)) {
      config.nodes.forEach((node, k) => {
        if (isPlainObject(node) && node.type === DATAKIT_CALL_NODES.type && !(DATAKIT_CALL_NODES.field in node)) {
          pins.push({ sub: ['nodes', k, DATAKIT_CALL_NODES.field], message: tlsMessage(`a call node's ${DATAKIT_CALL_NODES.field}`), insecure: true });
        }
      });
    }

    if (notPinned.length) {
      const where = unknownShared ? `_plugin_configs.${named}, which is not in this file` : `_plugin_configs.${named}, shared by every plugin that names it`;
      found.refusals.push({
        path: [...place, '_config'],
        severity: 'warning',
        message: `not pinned: ${notPinned.join(', ')} would come from ${where}; Kong 3.14 made ${notPinned.length === 1 ? 'its default' : 'their defaults'} secure: pin the old value there by hand to keep the old behaviour`,
      });
    }
    if (!pins.length) continue;
    if (config) {
      for (const p of pins) {
        const path = [...place, 'config', ...p.sub];
        const holder = get(content, path.slice(0, -1)) as Record<string, unknown>;
        found.changes.push(pin(holder, path, false, p.message, p.insecure));
      }
      continue;
    }
    // No config (or a null one): decK starts from an empty one, so only top-level fields are
    // pinned, in one new `config` listed value by value.
    const value = Object.fromEntries(pins.map((p) => [p.sub[0], false]));
    const configPath = [...place, 'config'];
    const reports: Report[] = pins.map((p) => ({ path: [...configPath, ...p.sub], message: `added false: ${p.message}`, insecure: p.insecure }));
    const written = pin(plugin, configPath, value, 'a config with the old defaults', pins.some((p) => p.insecure));
    found.changes.push({ ...written, reports });
  }
}

/** The values to pin in a `_format_version: "3.0"` file (or in a 2.x one, once converted). */
export function findPins314(content: Record<string, unknown>): Found {
  const found: Found = { changes: [], refusals: [] };
  routePins(content, found);
  servicePins(content, found);
  pluginPins(content, found);
  return found;
}

/**
 * Kong's own (Lua) plugins, for routes that combine them with a JS plugin: they run in the same
 * priority order and use the same PDK methods, without the RPC hop. `keyAuthPlugin` follows
 * kong/plugins/key-auth/handler.lua (PRIORITY 1250), enough for a consumer and credential to be
 * set before a JS plugin runs, as on the trace's key-auth route, or, with `anonymous`, the
 * anonymous consumer without a credential.
 */
import { PDK_METHODS } from './pdk-methods';
import { LuaError, type ExitSignal, type PdkCallContext } from './pdk-context';

/** Raised inside a native handler when it calls kong.response.exit/error: the handler stops there. */
export class NativeExit extends Error {
  constructor(readonly signal: ExitSignal) {
    super(`kong.response.exit(${signal.status})`);
  }
}

export interface NativePdk {
  /** Runs a PDK method by its Lua name, e.g. `pdk.call('kong.request.get_headers')`. */
  call(method: string, ...args: unknown[]): unknown;
}

export type NativeHandler = (pdk: NativePdk, conf: Record<string, unknown>) => void | Promise<void>;

export interface NativePlugin {
  name: string;
  priority: number;
  /** The plugin's schema defaults, merged under each configured `config`. */
  defaults?: Record<string, unknown>;
  rewrite?: NativeHandler;
  access?: NativeHandler;
  response?: NativeHandler;
  log?: NativeHandler;
}

export function nativePdk(k: PdkCallContext): NativePdk {
  return {
    call(method, ...args) {
      const spec = PDK_METHODS[method];
      if (!spec) throw new LuaError(`could not find pdk method: ${method}`);
      const out = spec.impl(k, args);
      if (out !== null && typeof out === 'object' && (out as ExitSignal).kind === 'exit') throw new NativeExit(out as ExitSignal);
      return out;
    },
  };
}

const HEADERS = {
  CONSUMER_ID: 'X-Consumer-ID',
  CONSUMER_CUSTOM_ID: 'X-Consumer-Custom-ID',
  CONSUMER_USERNAME: 'X-Consumer-Username',
  CREDENTIAL_IDENTIFIER: 'X-Credential-Identifier',
  ANONYMOUS: 'X-Anonymous-Consumer',
};

function setConsumer(pdk: NativePdk, consumer: Record<string, unknown> | undefined, credential: Record<string, unknown> | undefined): void {
  pdk.call('kong.client.authenticate', consumer, credential);
  const set = (name: string, v: unknown): unknown => (v ? pdk.call('kong.service.request.set_header', name, v) : pdk.call('kong.service.request.clear_header', name));
  set(HEADERS.CONSUMER_ID, consumer?.id);
  set(HEADERS.CONSUMER_CUSTOM_ID, consumer?.custom_id);
  set(HEADERS.CONSUMER_USERNAME, consumer?.username);
  set(HEADERS.CREDENTIAL_IDENTIFIER, credential?.id);
  if (credential) pdk.call('kong.service.request.clear_header', HEADERS.ANONYMOUS);
  else pdk.call('kong.service.request.set_header', HEADERS.ANONYMOUS, true);
}

/** The key-auth credentials are looked up through this function (kong.db.keyauth_credentials:select_by_key). */
export function keyAuthPlugin(findCredential: (key: string) => Record<string, unknown> | undefined): NativePlugin {
  /** do_authentication: undefined once authenticated, else the error key-auth answers without `anonymous`. */
  const authenticate = (pdk: NativePdk, conf: Record<string, unknown>): { status: number; message: string } | undefined => {
    const headers = pdk.call('kong.request.get_headers') as Record<string, unknown>;
    const query = pdk.call('kong.request.get_query') as Record<string, unknown>;
    let key: string | undefined;
    for (const name of conf.key_names as string[]) {
      let v: unknown = conf.key_in_header ? headers[name] : undefined;
      if (v === undefined && conf.key_in_query) v = query[name];
      if (typeof v === 'string') {
        key = v;
        if (conf.hide_credentials) {
          delete query[name];
          pdk.call('kong.service.request.set_query', query);
          pdk.call('kong.service.request.clear_header', name);
        }
        break;
      }
      if (Array.isArray(v)) return { status: 401, message: 'Duplicate API key found' };
    }
    if (!key) {
      // set before the outcome is known: it stays on the response with `anonymous` too
      pdk.call('kong.response.set_header', 'WWW-Authenticate', 'Key realm="kong"');
      return { status: 401, message: 'No API key found in request' };
    }
    const credential = findCredential(key);
    if (!credential) return { status: 401, message: 'Invalid authentication credentials' };
    const consumerId = (credential.consumer as { id: string }).id;
    const consumer = pdk.call('kong.client.load_consumer', consumerId) as Record<string, unknown> | undefined;
    setConsumer(pdk, consumer, credential);
    return undefined;
  };
  return {
    name: 'key-auth',
    priority: 1250,
    defaults: { key_names: ['apikey'], hide_credentials: false, anonymous: null, key_in_header: true, key_in_query: true, key_in_body: false, run_on_preflight: true },
    access(pdk, conf) {
      if (!conf.run_on_preflight && pdk.call('kong.request.get_method') === 'OPTIONS') return;
      // already authenticated by another plugin, and configured for a logical OR with it
      if (conf.anonymous && pdk.call('kong.client.get_credential')) return;
      const err = authenticate(pdk, conf);
      if (!err) return;
      if (!conf.anonymous) return void pdk.call('kong.response.error', err.status, err.message);
      // the anonymous consumer, by id or username; a missing one raises in kong.client.authenticate
      const consumer = pdk.call('kong.client.load_consumer', conf.anonymous, true) as Record<string, unknown> | undefined;
      setConsumer(pdk, consumer, undefined);
    },
  };
}

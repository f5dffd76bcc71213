/**
 * Details of Kong's Lua the harness's PDK table and request state follow, each with its source:
 * a phase check, the order set_query writes arguments in, and the `?` Kong appends upstream.
 */
import { describe, expect, it } from 'vitest';
import { KongVersion, LuaError, PDK_METHODS, RequestState, type KongLogLine, type Phase, type SimRequest } from '../harness';
import type { PdkCallContext, PdkEnv } from '../harness/pdk-context';

function env(version = '3.9.1', trustedIps: string[] = []): PdkEnv {
  const log: KongLogLine[] = [];
  return {
    version: new KongVersion(version),
    nodeId: 'node',
    hostname: 'host',
    clientBodyBufferSize: 8192,
    trustedIps,
    findConsumer: () => undefined,
    log: (l) => log.push(l),
    serialize: () => ({}),
    responseHeadersView: (s) => s.responseHeaders.clone(),
  };
}

function ctx(phase: Phase, req: Partial<SimRequest> = {}, options: { version?: string; trustedIps?: string[] } = {}): PdkCallContext {
  return {
    phase,
    state: new RequestState({ path: '/p', ...req }),
    saved: undefined,
    env: env(options.version, options.trustedIps),
    plugin: { id: 'pid', name: 'p' },
  };
}

const call = (k: PdkCallContext, method: string, ...args: unknown[]): unknown => PDK_METHODS[method].impl(k, args);

describe('kong.client.authenticate phases (kong/pdk/client.lua: check_phase(PHASES.access))', () => {
  it('raises in rewrite: Kong only allows the access phase', () => {
    expect(() => call(ctx('rewrite'), 'kong.client.authenticate', { id: 'c' }, null)).toThrow(LuaError);
    expect(call(ctx('access'), 'kong.client.authenticate', { id: 'c' }, null)).toBeUndefined();
  });
});

describe('kong.service.request.set_query order (kong/pdk/service/request.lua make_ordered_args)', () => {
  // Kong encodes each key on its own, then sorts those strings: "a-b=2" < "a=1" because "-" < "=".
  it('sorts by the encoded pair, a key\'s values kept together and in order', () => {
    const k = ctx('access', { path: '/p?x=1' });
    call(k, 'kong.service.request.set_query', { a: '1', 'a-b': '2', z: ['2', '1'] });
    expect(k.state.args).toBe('a-b=2&a=1&z=2&z=1');
  });
});

describe("the query Kong appends upstream (kong/runloop/handler.lua access.after)", () => {
  // set_query({}) leaves $args empty, so $is_args is "": Kong appends "?" .. args only when
  // $is_args is "?" or the client's request line ended in "?".
  it('leaves no dangling "?" after a plugin emptied the query, keeps one the client sent', () => {
    const k = ctx('access', { path: '/t/x?access_token=abc' });
    call(k, 'kong.service.request.set_query', {});
    expect(k.state.upstreamQuery()).toBe('');
    expect(new RequestState({ path: '/t/x?' }).upstreamQuery()).toBe('?');
    expect(new RequestState({ path: '/t/x?a=1' }).upstreamQuery()).toBe('?a=1');
    expect(new RequestState({ path: '/t/x' }).upstreamQuery()).toBe('');
  });
});

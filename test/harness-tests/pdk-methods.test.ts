/** The PDK method table, exercised directly (no plugin server), on behaviours the trace does not cover. */
import { describe, expect, it } from 'vitest';
import { HeaderList, KongVersion, LuaError, PDK_METHODS, RequestState, type KongLogLine, type Phase, type SimRequest } from '../harness';
import { wireResult } from '../harness/step';
import type { PdkCallContext, PdkEnv } from '../harness/pdk-context';
import type { SavedLogData } from '../harness/request-state';

function env(version = '3.9.1', log: KongLogLine[] = []): PdkEnv {
  return {
    version: new KongVersion(version),
    nodeId: 'node',
    hostname: 'host',
    clientBodyBufferSize: 8192,
    trustedIps: [],
    findConsumer: () => undefined,
    log: (l) => log.push(l),
    serialize: () => ({}),
    responseHeadersView: (s) => s.responseHeaders.clone(),
  };
}

function ctx(phase: Phase, req: Partial<SimRequest> = {}, options: { version?: string; saved?: SavedLogData } = {}): PdkCallContext {
  return { phase, state: new RequestState({ path: '/p?a=1', ...req }), saved: options.saved, env: env(options.version), plugin: { id: 'pid', name: 'p' } };
}

const call = (k: PdkCallContext, method: string, ...args: unknown[]): unknown => PDK_METHODS[method].impl(k, args);

describe('kong.client.load_consumer, as kong/pdk/client.lua', () => {
  const asked: Array<[string, boolean, boolean]> = [];
  const k: PdkCallContext = {
    ...ctx('access'),
    env: { ...env(), findConsumer: (value, byId, byUsername) => (asked.push([value, byId, byUsername]), undefined) },
  };
  it('looks a UUID up by id, then by username when asked; anything else by username only', () => {
    const id = '4b3a6f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
    call(k, 'kong.client.load_consumer', id);
    call(k, 'kong.client.load_consumer', id, true);
    call(k, 'kong.client.load_consumer', 'alice', true);
    expect(asked).toEqual([
      [id, true, false],
      [id, true, true],
      ['alice', false, true],
    ]);
  });
  it('raises for an id that is not a UUID without search_by_username, and for a non-string', () => {
    expect(() => call(k, 'kong.client.load_consumer', 'alice')).toThrow(new LuaError('cannot load a consumer with an id that is not a uuid'));
    expect(() => call(k, 'kong.client.load_consumer', 7, true)).toThrow(new LuaError('consumer_id must be a string'));
  });
});

describe('the PDK method table', () => {
  it('names the Kong source each method follows', () => {
    for (const [name, spec] of Object.entries(PDK_METHODS)) {
      expect(name).toMatch(/^kong\.[a-z0-9_.]+$/);
      expect(spec.source).toMatch(/^kong\//);
    }
  });

  it('raises Kong\'s phase error for a call outside its phases', () => {
    expect(() => call(ctx('response'), 'kong.service.request.set_header', 'x', 'y')).toThrow(new LuaError('function cannot be called in response phase (only in: rewrite, access)'));
    expect(() => call(ctx('access'), 'kong.response.get_status')).toThrow(/^function cannot be called in access phase/);
    // Kong/kong#11238: the response phase does not replace body_filter for kong.response.get_raw_body
    expect(() => call(ctx('response'), 'kong.response.get_raw_body')).toThrow('function cannot be called in response phase (only in: body_filter)');
    expect(() => call(ctx('access'), 'kong.log.serialize')).toThrow(LuaError);
  });

  it('validates header values like kong/pdk/private/checks.lua', () => {
    expect(() => call(ctx('access'), 'kong.response.set_header', 'x-a', { no: 1 })).toThrow('invalid header value for "x-a": got table, expected string, number or boolean');
    const k = ctx('access');
    call(k, 'kong.response.set_header', 'x-n', 42);
    call(k, 'kong.response.set_header', 'x-empty', '');
    expect(k.state.responseHeaders.first('x-n')).toBe('42');
    expect(k.state.responseHeaders.first('x-empty')).toBe(' ');
  });

  it('lets service.request mutations show through kong.request, as ngx.req.set_header does', () => {
    const k = ctx('access', { headers: [['x-a', '1']] });
    call(k, 'kong.service.request.set_header', 'x-a', '2');
    call(k, 'kong.service.request.set_query', { z: 'last', a: ['1', '2'], flag: true, off: false });
    expect(call(k, 'kong.request.get_header', 'X_A')).toBe('2');
    expect(call(k, 'kong.request.get_raw_query')).toBe('a=1&a=2&flag&z=last');
  });

  it('in the log timer, serves the saved data and refuses what needs the nginx request', () => {
    const saved: SavedLogData = {
      pluginName: 'p',
      serializeData: { route: { paths: [] } },
      ngxCtx: {},
      ctxShared: { k: 'v' },
      requestHeaders: new HeaderList([['X-Multi', 'one'], ['X-Multi', 'two']]),
      responseHeaders: new HeaderList([['Content-Type', 'text/plain']]),
      responseStatus: 201,
      reqStartTime: 1,
      flags: { exited: false, proxied: true, unexpected: false },
    };
    const k = ctx('log', {}, { saved });
    expect(call(k, 'kong.request.get_header', 'x_multi')).toBe('one');
    expect(call(k, 'kong.response.get_status')).toBe(201);
    expect(call(k, 'kong.response.get_source')).toBe('service');
    expect(call(k, 'kong.ctx.shared.get', 'k')).toBe('v');
    expect(call(k, 'kong.log.serialize')).toBe('{"route":{"paths":[]}}');
    expect(() => call(k, 'kong.request.get_path')).toThrow(new LuaError('API disabled in the current context'));
    expect(() => call(k, 'kong.nginx.get_var', 'request_id')).toThrow('API disabled in the current context');
    expect(() => call(k, 'kong.client.get_ip')).toThrow('API disabled in the current context');
  });

  it('ngx.var.request is the request line as sent: set_method leaves it, HTTP/2 gets nginx\'s built one', () => {
    const k = ctx('access', { method: 'post', path: '/orders?x=1' });
    call(k, 'kong.service.request.set_method', 'PUT');
    expect(call(k, 'kong.request.get_method')).toBe('PUT');
    expect(call(k, 'kong.nginx.get_var', 'request')).toBe('POST /orders?x=1 HTTP/1.1');
    expect(call(k, 'kong.nginx.get_var', 'request_method')).toBe('PUT');
    expect(call(ctx('access', { httpVersion: 2 }), 'kong.nginx.get_var', 'request')).toBe('GET /p?a=1 HTTP/2.0');
    expect(call(ctx('access', { httpVersion: 1 }), 'kong.nginx.get_var', 'request')).toBe('GET /p?a=1 HTTP/1.0');
  });

  it('kong.response.error picks the template from Accept; Kong >= 3.5 adds the request id', () => {
    const old = ctx('access', { headers: [['accept', 'text/plain;q=0.5, application/json']] }, { version: '3.4.2' });
    old.state.delayResponse = true;
    call(old, 'kong.response.error', 403, 'nope');
    expect(old.state.delayedResponse).toEqual({ status: 403, body: '{\n  "message":"nope"\n}', headers: { 'Content-Type': 'application/json; charset=utf-8' } });
    const k = ctx('access', { headers: [['accept', 'text/plain']] });
    k.state.delayResponse = true;
    call(k, 'kong.response.error', 401);
    expect(k.state.delayedResponse?.body).toBe(`Unauthorized\nrequest_id: ${k.state.requestId}\n`);
    expect(() => call(k, 'kong.response.error', 302)).toThrow('code must be a number between 400 and 599');
  });

  it('raw bodies: binary on the wire; a body past client_body_buffer_size is nil and cannot be packed', () => {
    const small = ctx('access', { method: 'POST', body: 'abc' });
    expect(wireResult('kong.request.get_raw_body', call(small, 'kong.request.get_raw_body'))).toEqual(Buffer.from('abc'));
    const big = ctx('access', { method: 'POST', body: 'x'.repeat(9000) }, { version: '3.4.2' });
    expect(call(big, 'kong.request.get_raw_body', 20000)).toBeUndefined();
    expect(() => wireResult('kong.request.get_raw_body', undefined)).toThrow(LuaError);
    const k39 = ctx('access', { method: 'POST', body: 'x'.repeat(9000) });
    expect((call(k39, 'kong.request.get_raw_body', 20000) as Buffer).length).toBe(9000);
    expect(call(k39, 'kong.request.get_raw_body')).toBeUndefined();
  });

  it('buffered service response headers look empty over RPC but answer a single lookup', () => {
    const k = ctx('response');
    k.state.buffered = true;
    k.state.bufferedHeaders = new HeaderList([['X-Up', 'u']]);
    expect(wireResult('kong.service.response.get_headers', call(k, 'kong.service.response.get_headers'))).toEqual({});
    expect(call(k, 'kong.service.response.get_header', 'x_up')).toBe('u');
  });

  it('multimaps: strings become one-element arrays, bare query keys empty arrays', () => {
    const k = ctx('access', { path: '/p?a=1&a=2&flag&e=' });
    expect(wireResult('kong.request.get_query', call(k, 'kong.request.get_query'))).toEqual({ a: ['1', '2'], flag: [], e: [''] });
    expect(call(k, 'kong.request.get_query_arg', 'flag')).toBe(true);
    expect(wireResult('kong.request.get_query', call(ctx('access', { path: '/p' }), 'kong.request.get_query'))).toEqual({});
  });
});

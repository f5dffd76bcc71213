/**
 * Details of Kong's Lua (and of the nginx under it) the harness's PDK table and request state
 * follow, each with its source: a phase check, the order set_query writes arguments in, the `?`
 * Kong appends upstream, repeated headers, trusted_ips and realip, header tables, Transfer-Encoding,
 * bodies nginx buffered to a file.
 */
import { describe, expect, it } from 'vitest';
import { KongVersion, LuaError, PDK_METHODS, RequestState, type KongLogLine, type Phase, type SimRequest } from '../harness';
import type { PdkCallContext, PdkEnv } from '../harness/pdk-context';

function env(version = '3.9.1', trustedIps: string[] = [], log: KongLogLine[] = []): PdkEnv {
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

interface CtxOptions {
  version?: string;
  trustedIps?: string[];
  log?: KongLogLine[];
  realIpHeader?: string;
  realIpRecursive?: boolean;
}

function ctx(phase: Phase, req: Partial<SimRequest> = {}, options: CtxOptions = {}): PdkCallContext {
  return {
    phase,
    state: new RequestState({ path: '/p', ...req }),
    saved: undefined,
    env: { ...env(options.version, options.trustedIps, options.log), realIpHeader: options.realIpHeader, realIpRecursive: options.realIpRecursive },
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

describe('a repeated request header (kong/pdk/request.lua get_header: var["http_" .. name])', () => {
  // nginx >= 1.23 joins every line of a header in $http_* (nginx CHANGES 1.23.0); Kong >= 3.6
  // ships OpenResty 1.25.3 (CHANGELOG 3.6.0). Older nginx joined only Cookie and X-Forwarded-For.
  const repeated: Array<[string, string]> = [['X-Multi', 'one'], ['X-Multi', 'two'], ['Cookie', 'a=1'], ['Cookie', 'b=2'], ['X-Forwarded-For', '1.1.1.1'], ['X-Forwarded-For', '2.2.2.2']];

  it('Kong 3.9: get_header and get_var join the lines, Cookie with "; "', () => {
    const k = ctx('access', { headers: repeated });
    expect(call(k, 'kong.request.get_header', 'x-multi')).toBe('one, two');
    expect(call(k, 'kong.nginx.get_var', 'http_x_multi')).toBe('one, two');
    expect(call(k, 'kong.request.get_header', 'cookie')).toBe('a=1; b=2');
  });

  it('Kong 3.4: the first line, except Cookie and X-Forwarded-For', () => {
    const k = ctx('access', { headers: repeated }, { version: '3.4.2' });
    expect(call(k, 'kong.request.get_header', 'x-multi')).toBe('one');
    expect(call(k, 'kong.request.get_header', 'cookie')).toBe('a=1; b=2');
    expect(call(k, 'kong.request.get_header', 'x-forwarded-for')).toBe('1.1.1.1, 2.2.2.2');
  });

  it('get_headers still lists the lines apart', () => {
    const k = ctx('access', { headers: repeated });
    expect((call(k, 'kong.request.get_headers') as Record<string, unknown>)['x-multi']).toEqual(['one', 'two']);
  });
});

describe('trusted_ips (kong/pdk/ip.lua ipmatcher) and nginx realip (set_real_ip_from, real_ip_header)', () => {
  it('get_forwarded_ip is the X-Real-IP a trusted peer sent; get_ip stays the peer', () => {
    const k = ctx('access', { clientIp: '10.0.0.1', headers: [['X-Real-IP', '203.0.113.7']] }, { trustedIps: ['10.0.0.1'] });
    expect(call(k, 'kong.client.get_ip')).toBe('10.0.0.1');
    expect(call(k, 'kong.client.get_forwarded_ip')).toBe('203.0.113.7');
    expect(call(k, 'kong.nginx.get_var', 'remote_addr')).toBe('203.0.113.7');
    expect(call(k, 'kong.nginx.get_var', 'realip_remote_addr')).toBe('10.0.0.1');
  });

  it('an untrusted peer cannot choose its address', () => {
    const k = ctx('access', { clientIp: '198.51.100.1', headers: [['X-Real-IP', '203.0.113.7']] }, { trustedIps: ['10.0.0.0/8'] });
    expect(call(k, 'kong.client.get_forwarded_ip')).toBe('198.51.100.1');
  });

  it('holds CIDR blocks of both families', () => {
    const k = ctx('access', { clientIp: '10.1.2.3', headers: [['X-Forwarded-Proto', 'https']] }, { trustedIps: ['10.0.0.0/8', '2001:db8::/32'] });
    expect(call(k, 'kong.ip.is_trusted', '10.1.2.3')).toBe(true);
    expect(call(k, 'kong.ip.is_trusted', '11.1.2.3')).toBe(false);
    expect(call(k, 'kong.ip.is_trusted', '2001:db8::1')).toBe(true);
    expect(call(k, 'kong.ip.is_trusted', '2001:db9::1')).toBe(false);
    expect(call(k, 'kong.request.get_forwarded_scheme')).toBe('https');
  });

  it('real_ip_header X-Forwarded-For: the last address, or with real_ip_recursive the last untrusted one', () => {
    const headers: Array<[string, string]> = [['X-Forwarded-For', '203.0.113.7, 10.0.0.2']];
    const plain = ctx('access', { clientIp: '10.0.0.1', headers }, { trustedIps: ['10.0.0.0/8'], realIpHeader: 'X-Forwarded-For' });
    expect(call(plain, 'kong.client.get_forwarded_ip')).toBe('10.0.0.2');
    const recursive = ctx('access', { clientIp: '10.0.0.1', headers }, { trustedIps: ['10.0.0.0/8'], realIpHeader: 'X-Forwarded-For', realIpRecursive: true });
    expect(call(recursive, 'kong.client.get_forwarded_ip')).toBe('203.0.113.7');
  });
});

describe('header tables (kong/pdk/private/checks.lua validate_headers, normalize_multi_header)', () => {
  // both walk a table value with ipairs: a map yields nothing, so the header is set to {}
  it('a map value clears the header instead of sending the map values', () => {
    const k = ctx('access', { headers: [['X-A', 'client']] });
    call(k, 'kong.service.request.set_headers', { 'x-a': { k: 'v' } });
    expect(k.state.headers.values('x-a')).toEqual([]);
  });
});

describe('header names with "_" (lua-nginx-module: ngx.req.set_header matches by ngx_strncasecmp; ngx.header transforms "_")', () => {
  // Kong runs with underscores_in_headers on, so a client's X_User_Id is a header of its own
  it('set_header, set_headers and clear_header on the upstream request leave the "_" spelling a client sent', () => {
    const sent: Array<[string, string]> = [['X_User_Id', 'admin'], ['x-user-id', 'forged'], ['X-Other', 'o']];
    for (const change of [
      (k: PdkCallContext) => call(k, 'kong.service.request.set_header', 'X-User-Id', 'alice'),
      (k: PdkCallContext) => call(k, 'kong.service.request.set_headers', { 'X-User-Id': 'alice' }),
      (k: PdkCallContext) => call(k, 'kong.service.request.clear_header', 'X-User-Id'),
    ]) {
      const k = ctx('access', { headers: sent });
      change(k);
      expect(['alice', '']).toContain(k.state.headers.exactValues('x-user-id').join());
      expect(k.state.headers.exactValues('x-user-id')).not.toContain('forged');
      expect(k.state.headers.exactValues('x_user_id')).toEqual(['admin']);
    }
    const byOwnName = ctx('access', { headers: sent });
    call(byOwnName, 'kong.service.request.set_headers', { X_User_Id: [] });
    expect(byOwnName.state.headers.all().filter(([n]) => n !== 'Host')).toEqual([['x-user-id', 'forged'], ['X-Other', 'o']]);
  });

  it('get_header still finds either spelling ($http_x_user_id folds "-" and "_")', () => {
    const k = ctx('access', { headers: [['X_User_Id', 'admin']] });
    expect(call(k, 'kong.request.get_header', 'X-User-Id')).toBe('admin');
  });

  it('a response header set under a "_" name is written with "-" and replaces that header', () => {
    const k = ctx('access');
    call(k, 'kong.response.set_header', 'X-Trace', 'a');
    call(k, 'kong.response.set_header', 'X_Trace', 'b');
    call(k, 'kong.response.add_header', 'X_Added', 'c');
    expect(k.state.responseHeaders.all()).toEqual([['X-Trace', 'b'], ['X-Added', 'c']]);
    call(k, 'kong.response.clear_header', 'x_trace');
    expect(k.state.responseHeaders.all()).toEqual([['X-Added', 'c']]);
  });
});

describe('Transfer-Encoding (kong/pdk/response.lua set_header, set_headers, send)', () => {
  it('set_header, set_headers and exit headers ignore it with a warning; add_header does not check', () => {
    const log: KongLogLine[] = [];
    const k = ctx('access', {}, { log });
    call(k, 'kong.response.set_header', 'Transfer-Encoding', 'chunked');
    call(k, 'kong.response.set_headers', { transfer_encoding: 'chunked', 'X-Kept': 'yes' });
    expect(k.state.responseHeaders.has('transfer-encoding')).toBe(false);
    expect(k.state.responseHeaders.first('x-kept')).toBe('yes');
    expect(log.filter((l) => l.level === 'warn' && l.message === 'manually setting Transfer-Encoding. Ignored.')).toHaveLength(2);
    call(k, 'kong.response.add_header', 'Transfer-Encoding', 'gzip');
    expect(k.state.responseHeaders.first('transfer-encoding')).toBe('gzip');

    const exiting = ctx('header_filter', {}, { log });
    call(exiting, 'kong.response.exit', 200, 'ok', { 'Transfer-Encoding': 'chunked' });
    expect(exiting.state.responseHeaders.has('transfer-encoding')).toBe(false);
    expect(log.filter((l) => l.message === 'manually setting Transfer-Encoding. Ignored.')).toHaveLength(3);
  });
});

describe('a body nginx buffered to a file (CHANGELOG 3.8.0, PDK: #13158 and #13431)', () => {
  const body = Buffer.alloc(9000, 0x61);
  const json = Buffer.from(JSON.stringify({ pad: 'x'.repeat(9000) }));

  it('Kong 3.8 reads it when get_raw_body is given a limit it fits, and max = 0 means no limit', () => {
    const k = ctx('access', { method: 'POST', body }, { version: '3.8.0' });
    expect((call(k, 'kong.request.get_raw_body', 20000) as Buffer).length).toBe(9000);
    expect((call(k, 'kong.request.get_raw_body', 0) as Buffer).length).toBe(9000);
    expect(call(k, 'kong.request.get_raw_body', 8999)).toBeUndefined();
    expect(call(k, 'kong.request.get_raw_body')).toBeUndefined();
  });

  it('get_body passes its third argument on as that limit', () => {
    const k = ctx('access', { method: 'POST', body: json, headers: [['Content-Type', 'application/json']] });
    expect(call(k, 'kong.request.get_body')).toBeUndefined();
    expect(call(k, 'kong.request.get_body', null, null, 0)).toEqual({ pad: 'x'.repeat(9000) });
  });

  it('Kong 3.7 and older hand over bodies held in memory only', () => {
    const k = ctx('access', { method: 'POST', body }, { version: '3.7.1' });
    expect(call(k, 'kong.request.get_raw_body', 20000)).toBeUndefined();
  });
});

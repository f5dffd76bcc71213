/**
 * The harness's post-function model (test/harness/post-function.ts): it runs kong-ctl's guard,
 * as rendered by kong-ctl, with the semantics LuaJIT shows in guard-lua.test.ts, and refuses to
 * pretend it runs any other Lua.
 */
import { describe, expect, it } from 'vitest';
import { renderGuardLua } from '../../../cli/src/desired/guard';
import { HeaderList, KongSim, UnmodelledError, kongRoute, kongService, parseGuardChunk, type NativePlugin, type UpstreamRequest } from '../../harness';

describe('parseGuardChunk', () => {
  it("reads the markers of kong-ctl's guard, and which pass preflights", () => {
    expect(parseGuardChunk(renderGuardLua([{ name: 'jwt-claims' }]))).toEqual({
      checks: [{ marker: 'jwt_claims_passed', preflightPasses: false }],
      status: 503,
      message: 'The upstream server is currently unavailable',
    });
    expect(parseGuardChunk(renderGuardLua([{ name: 'jwt-claims', preflightPasses: true }, { name: 'webhook-signature' }])).checks).toEqual([
      { marker: 'jwt_claims_passed', preflightPasses: true },
      { marker: 'webhook_signature_passed', preflightPasses: false },
    ]);
  });

  it('refuses any other Lua, and a guard with anything added', () => {
    const guard = renderGuardLua([{ name: 'jwt-claims' }]);
    for (const chunk of [
      'kong.log.notice("hi")',
      guard.replace('if not shared.jwt_claims_passed then', 'if not shared.jwt_claims_passed and kong.x() then'),
      guard.replace('local shared = kong.ctx.shared', 'local shared = {}'),
      `${guard}\nkong.log.notice("after")`,
      guard.replace('not shared.jwt_claims_passed', 'not (shared.jwt_claims_passed or preflight)'),
    ]) {
      expect(() => parseGuardChunk(chunk), chunk).toThrow(UnmodelledError);
    }
  });
});

describe('post-function in KongSim', () => {
  /** Stands in for a security plugin: marks the request passed when it carries `x-pass`. */
  const marker: NativePlugin = {
    name: 'test-marker',
    priority: 1475,
    access(pdk) {
      const names = String(pdk.call('kong.request.get_header', 'x-pass') ?? '');
      for (const name of names.split(',').filter(Boolean)) pdk.call('kong.ctx.shared.set', name, true);
    },
  };

  function sim(chunks: string[], into: UpstreamRequest[]): KongSim {
    const service = kongService({ host: '127.0.0.1', port: 9 });
    const route = kongRoute({ paths: ['/r'], service: { id: service.id } });
    const s = new KongSim({
      nativePlugins: [marker],
      services: [service],
      routes: [route],
      upstream: async (req) => {
        into.push(req);
        return { status: 200, headers: HeaderList.from({ 'Content-Type': 'text/plain' }), body: Buffer.from('ok') };
      },
    });
    s.addPlugin({ name: 'test-marker', route: route.id });
    s.addPlugin({ name: 'post-function', route: route.id, config: { access: chunks } });
    return s;
  }

  it('refuses with 503 {"message": …} what was not marked, passes what was', async () => {
    const upstream: UpstreamRequest[] = [];
    const s = sim([renderGuardLua([{ name: 'jwt-claims' }, { name: 'webhook-signature' }])], upstream);
    const refused = await s.request({ method: 'GET', path: '/r', headers: { 'x-pass': 'jwt_claims_passed' } });
    expect(refused.status).toBe(503);
    expect(refused.json()).toEqual({ message: 'The upstream server is currently unavailable' });
    expect(refused.headers.first('content-type')).toMatch(/^application\/json/);
    expect(refused.source).toBe('exit');
    const passed = await s.request({ method: 'GET', path: '/r', headers: { 'x-pass': 'jwt_claims_passed,webhook_signature_passed' } });
    expect(passed.status).toBe(200);
    expect(upstream).toHaveLength(1);
    s.close();
  });

  it('lets a CORS preflight through only for a plugin that does', async () => {
    const upstream: UpstreamRequest[] = [];
    const s = sim([renderGuardLua([{ name: 'jwt-claims', preflightPasses: true }])], upstream);
    const preflight = { method: 'OPTIONS', path: '/r', headers: { 'Access-Control-Request-Method': 'GET' } };
    expect((await s.request(preflight)).status).toBe(200);
    expect((await s.request({ method: 'OPTIONS', path: '/r' })).status).toBe(503);
    s.close();
    const strict = sim([renderGuardLua([{ name: 'jwt-claims' }])], upstream);
    expect((await strict.request(preflight)).status).toBe(503);
    strict.close();
    expect(upstream).toHaveLength(1);
  });

  it('fails the request as unmodelled for Lua that is not the guard', async () => {
    const s = sim(['kong.log.notice("hi")'], []);
    await expect(s.request({ method: 'GET', path: '/r' })).rejects.toThrow(UnmodelledError);
    s.close();
  });
});

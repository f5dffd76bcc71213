/**
 * The simulator treats keys spelled like Object.prototype members as Kong does (a Lua table):
 * a map keeps `__proto__` and `constructor` as keys, and a record refuses them as unknown
 * fields, in its answer's `fields` too. Bodies are written as text: a JS object literal would
 * take `__proto__` for its prototype.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../../bench/ctl/simulator';
import type { Simulator } from '../../../bench/ctl/simulator';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 0 });
});
afterAll(() => sim.close());
beforeEach(() => sim.store.clear());

type Obj = Record<string, unknown>;

async function send(method: string, path: string, text: string): Promise<{ status: number; body: Obj }> {
  const res = await fetch(sim.url + path, { method, headers: { 'content-type': 'application/json' }, body: text });
  return { status: res.status, body: JSON.parse(await res.text()) as Obj };
}

const own = (o: unknown) => Object.keys(o as Obj).sort();

describe('simulator: keys named like Object.prototype members', () => {
  it('keeps them in a map (http-log headers), through POST, PATCH and GET', async () => {
    const created = await send(
      'POST',
      '/plugins',
      '{"name":"http-log","config":{"http_endpoint":"http://x.test/y","headers":{"__proto__":"p","constructor":"c","a":"b"}}}',
    );
    expect(created.status).toBe(201);
    expect(own((created.body.config as Obj).headers)).toEqual(['__proto__', 'a', 'constructor']);
    const id = String(created.body.id);
    const patched = await send('PATCH', `/plugins/${id}`, '{"config":{"headers":{"__proto__":"q","toString":"t"}}}');
    expect(patched.status).toBe(200);
    const headers = (patched.body.config as Obj).headers;
    expect(own(headers)).toEqual(['__proto__', 'toString']);
    expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toBe('q');
  });

  it('refuses them as unknown fields of a record or an entity, naming them', async () => {
    const plugin = await send('POST', '/plugins', '{"name":"http-log","config":{"http_endpoint":"http://x.test/y","__proto__":"p","constructor":"c"}}');
    expect(plugin.status).toBe(400);
    expect(plugin.body.message).toBe('2 schema violations (config.__proto__: unknown field; config.constructor: unknown field)');
    expect(own((plugin.body.fields as Obj).config)).toEqual(['__proto__', 'constructor']);

    const service = await send('POST', '/services', '{"name":"s","host":"x.test","__proto__":"p"}');
    expect(service.status).toBe(400);
    expect(service.body.message).toBe('schema violation (__proto__: unknown field)');

    const ok = await send('POST', '/services', '{"name":"s","host":"x.test"}');
    const patched = await send('PATCH', `/services/${String(ok.body.id)}`, '{"__proto__":{"host":"evil.test"}}');
    expect(patched.status).toBe(400);
    expect(patched.body.message).toBe('schema violation (__proto__: unknown field)');
  });
});

/**
 * The benchmark's Admin API simulator answers like the recorded Kong 3.4.2: the pipeline tests
 * and the benchmark are only as good as this resemblance.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../../bench/ctl/simulator';
import type { Simulator } from '../../../bench/ctl/simulator';
import { AdminApiError } from '../../../cli/src/kong/types';
import { body, client, exchange } from './helpers';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 0 });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.store.clear();
  sim.resetStats();
});

async function raw(method: string, path: string, payload?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(sim.url + path, {
    method,
    headers: payload === undefined ? {} : { 'content-type': 'application/json' },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe('simulator', () => {
  it('fills defaults and expands url as Kong does (fixture 055)', async () => {
    const ex = exchange('055');
    const res = await raw('POST', '/services', ex.request.body);
    expect(res.status).toBe(201);
    const { id, created_at, updated_at, ...rest } = res.body as Record<string, unknown>;
    const { id: _i, created_at: _c, updated_at: _u, ...expected } = ex.response.body as Record<string, unknown>;
    expect(rest).toEqual(expected);
    expect(typeof id).toBe('string');
    expect([typeof created_at, typeof updated_at]).toEqual(['number', 'number']);
  });

  it('pages by size with offset and next, and no offset on the last page (fixtures 104, 105)', async () => {
    for (const name of ['a', 'b', 'c']) await raw('POST', '/services', { name, host: `${name}.internal` });
    const p1 = (await raw('GET', '/services?size=2')).body as Record<string, unknown>;
    expect(Object.keys(p1).sort()).toEqual(Object.keys(body('104')).sort());
    expect((p1.data as unknown[]).length).toBe(2);
    expect(p1.next).toBe(`/services?offset=${String(p1.offset)}&size=2`);
    const p2 = (await raw('GET', String(p1.next))).body as Record<string, unknown>;
    expect(Object.keys(p2).sort()).toEqual(Object.keys(body('105')).sort());
    expect(p2.next).toBeNull();
    expect((p2.data as unknown[]).length).toBe(1);
    const c = client(sim.url);
    expect((await c.listAll('/services')).map((s) => (s as { name: string }).name).sort()).toEqual(['a', 'b', 'c']);
    c.close();
  });

  it('filters by tags (AND, OR) and rejects mixed or too many tags with Kong’s bodies (113, 114, 115)', async () => {
    await raw('POST', '/services', { name: 'a', host: 'a', tags: ['team-a', 'pci'] });
    await raw('POST', '/services', { name: 'b', host: 'b', tags: ['team-b'] });
    const names = async (q: string) => ((await raw('GET', `/services?tags=${q}`)).body as { data: Array<{ name: string }> }).data.map((s) => s.name).sort();
    expect(await names('team-a,pci')).toEqual(['a']);
    expect(await names('team-a/team-b')).toEqual(['a', 'b']);
    expect(await raw('GET', '/services?tags=team-a,pci/team-b')).toEqual({ status: 400, body: body('113') });
    expect(await raw('GET', '/services?tags=a,b,c,d,e,f')).toEqual({ status: 400, body: body('114') });
    expect(await raw('GET', '/services?size=1001')).toEqual({ status: 400, body: body('115') });
  });

  it('answers 409, 400 schema and foreign-key violations, 404 and the service-with-routes delete like Kong', async () => {
    const orders = (await raw('POST', '/services', { name: 'orders', host: 'x' })).body as { id: string };
    expect(await raw('POST', '/services', { name: 'orders', url: 'http://x.internal' })).toEqual({ status: 409, body: body('060') });
    expect(await raw('POST', '/services', exchange('061').request.body)).toEqual({ status: 400, body: body('061') });
    expect(await raw('POST', '/routes', exchange('070').request.body)).toEqual({ status: 400, body: body('070') });
    expect(await raw('GET', '/services/does-not-exist')).toEqual({ status: 404, body: body('062') });
    await raw('POST', '/routes', { name: 'r', paths: ['/r'], service: { id: orders.id } });
    expect((await raw('DELETE', '/services/orders')).body).toEqual(body('125'));
    expect(await raw('DELETE', '/routes/no-such-route')).toEqual({ status: 204, body: null });
  });

  it('upserts by PUT, nests credentials under their consumer, and cascades plugins and credentials on delete', async () => {
    const c = client(sim.url);
    const consumerId = '273afe00-483b-4cf8-8c62-bb953b5b81bf';
    await c.request('PUT', `/consumers/${consumerId}`, { body: { username: 'alice' } });
    await c.request('PUT', `/consumers/${consumerId}/key-auth/9e28efaa-4c05-427a-ad48-a0ac64ed53c5`, { body: { key: 'k' } });
    await c.request('PUT', `/plugins/535c236c-d898-4598-afb7-ca52b3b95a28`, { body: { name: 'rate-limiting', consumer: { id: consumerId }, config: { minute: 5 } } });
    expect(sim.store.count('keyauth_credentials')).toBe(1);
    await expect(c.request('PUT', '/plugins/00000000-0000-4000-8000-000000000001', { body: { name: 'rate-limiting', consumer: { id: consumerId } } })).rejects.toBeInstanceOf(AdminApiError);
    await c.request('DELETE', `/consumers/${consumerId}`);
    expect([sim.store.count('consumers'), sim.store.count('keyauth_credentials'), sim.store.count('plugins')]).toEqual([0, 0, 0]);
    await expect(c.request('DELETE', `/consumers/${consumerId}/key-auth/9e28efaa-4c05-427a-ad48-a0ac64ed53c5`)).rejects.toMatchObject({ status: 404 });
    c.close();
  });

  it('stamps updated_at at each write and created_at at inserts and upserts, as Kong does (decK sync case 027)', async () => {
    // Kong's auto timestamps (kong/db/schema/init.lua process_auto_fields): updated_at on every
    // write; created_at on an insert or upsert that does not give it, never on an update. decK's
    // Test_Sync_DoNotUpdateCreatedAt syncs twice a second apart: updated_at must move and
    // created_at stay (decK sends the live created_at with its PUTs for that).
    const created = (await raw('POST', '/services', { name: 's', host: 'a.internal' })).body as Record<string, number>;
    const patched = (await raw('PATCH', '/services/s', { port: 8080 })).body as Record<string, number>;
    expect(patched.created_at).toBe(created.created_at);
    expect(patched.updated_at).toBeGreaterThan(created.updated_at);
    const put = (await raw('PUT', '/services/s', { host: 'b.internal' })).body as Record<string, number>;
    expect(put.created_at).toBeGreaterThan(created.created_at);
    expect(put.updated_at).toBeGreaterThan(patched.updated_at);
    const kept = (await raw('PUT', '/services/s', { host: 'c.internal', created_at: created.created_at })).body as Record<string, number>;
    expect(kept.created_at).toBe(created.created_at);
  });

  it('serves the recorded schemas and counts requests per method', async () => {
    expect((await raw('GET', '/schemas/plugins/rate-limiting')).body).toEqual(body('043'));
    expect((await raw('GET', '/schemas/plugins/nope')).status).toBe(404);
    expect(sim.stats.byMethod.GET).toBe(2);
  });
});

import nock from 'nock';
import { describe, expect, it, vi } from 'vitest';
import { fetchCurrent } from '../../../cli/src/current/fetch';
import { KIND_DEFS } from '../../../cli/src/kinds';
import { KINDS, indexByKey, type Kind } from '../../../cli/src/model/entity';
import { KongCtlError } from '../../../cli/src/model/errors';
import { listData } from '../kong/fixtures';
import { recordedLists } from '../support/recorded-lists';
import { KONG, nockedAdminClients } from './nocked-admin';

const UPSTREAM_ID = '99eca49f-9833-40b2-b13f-65b7e75e50e3';

type Raw = Record<string, unknown>;

const LISTED = KINDS.filter((k) => KIND_DEFS[k].listPath);

/**
 * Answer every collection once, as Kong does: `{data, next}` (the tag filter applied like Kong's AND).
 * Targets have no collection: a test that wants them serves GET /upstreams/{id}/targets itself.
 */
function nockLists(bodies: Partial<Record<Kind, Raw[]>>, tags?: string[]): void {
  for (const kind of LISTED) {
    const query: Record<string, string> = { size: '1000' };
    if (tags) query.tags = tags.join(',');
    const data = (bodies[kind] ?? []).filter((o) => !tags || tags.every((t) => ((o.tags as string[] | null) ?? []).includes(t)));
    nock(KONG).get(KIND_DEFS[kind].listPath!).query(query).reply(200, { data, next: null });
  }
}

const client = nockedAdminClients();

describe('fetchCurrent', () => {
  it('reads every kind, and targets per upstream', async () => {
    nockLists(recordedLists());
    nock(KONG).get(`/upstreams/${UPSTREAM_ID}/targets`).query({ size: '1000' }).reply(200, { data: listData('101'), next: null });
    const c = client();
    const { state, raw } = await fetchCurrent(c, { selectTags: [] });
    expect(raw.target).toHaveLength(3);
    expect(raw.service).toHaveLength(3);
    const byKey = indexByKey(state);
    expect(byKey.get('target:orders-up/orders.internal:9000')!.refs.upstream).toBe('upstream:orders-up');
    expect(byKey.get('plugin:cors@route=orders-api')).toBeDefined();
    expect(byKey.get('acl:alice/admins')).toBeDefined();
    expect(c.stats.requests).toBe(LISTED.length + 1);
    expect(c.stats.writes).toBe(0);
  });

  it('asks Kong for select tags as tags=a,b (AND) and filters targets itself', async () => {
    nockLists(recordedLists(), ['team-a']);
    nock(KONG).get(`/upstreams/${UPSTREAM_ID}/targets`).query({ size: '1000' }).reply(200, { data: listData('101'), next: null });
    const { state } = await fetchCurrent(client(), { selectTags: ['team-a'] });
    const keys = state.entities.map((e) => e.key);
    expect(keys).toContain('service:orders');
    expect(keys).not.toContain('service:inventory');
    // Only the one target tagged team-a survives.
    expect(state.entities.filter((e) => e.kind === 'target').map((e) => e.key)).toEqual(['target:orders-up/10.0.0.1:8000']);
    // A plugin tagged pci only is outside; the route it hangs on is resolved by id only when missing.
    expect(keys).not.toContain('plugin:jwt@service=billing,route=billing-api');
  });

  it('lists the lookup tags’ entities apart, and keys live references to them by name', async () => {
    // In scope: a plugin tagged team-a on service billing, which only the lookup tag pci finds.
    const billing = listData('111')[0]!;
    const plugin = { ...listData('107')[0], id: 'a0000000-0000-4000-8000-000000000001', name: 'cors', tags: ['team-a'], service: { id: billing.id }, route: null, consumer: null };
    const read = async (lookupTags?: { service: string[] }) => {
      nockLists({ plugin: [plugin] }, ['team-a']);
      if (lookupTags) nock(KONG).get('/services').query({ size: '1000', tags: 'pci' }).reply(200, { data: [billing], next: null });
      return fetchCurrent(client(), { selectTags: ['team-a'], lookupTags });
    };
    const { state, lookup } = await read({ service: ['pci'] });
    expect(lookup.map((e) => e.key)).toEqual(['service:billing']);
    expect(state.entities.map((e) => e.key)).toEqual(['plugin:cors@service=billing']);
    expect(state.entities[0]!.refs.service).toBe('service:billing');
    // Without the lookup, the same plugin names a service the run knows only by id.
    const without = await read();
    expect(without.lookup).toEqual([]);
    expect(without.state.entities[0]!.refs.service).toBe(`service:#${billing.id}`);
  });

  it('uses the recorded AND answer for two tags (fixture 111)', async () => {
    nockLists({ service: listData('111') }, ['team-a', 'pci']);
    const { state } = await fetchCurrent(client(), { selectTags: ['team-a', 'pci'] });
    expect(state.entities.map((e) => e.key)).toEqual(['service:billing']);
  });

  it('sends at most 5 tags (Kong’s limit) and applies the rest itself', async () => {
    const tags = ['t1', 't2', 't3', 't4', 't5', 't6'];
    const svc = (name: string, t: string[]) => ({ ...listData('103')[0], id: `id-${name}`, name, tags: t });
    nockLists({}, tags.slice(0, 5));
    nock.cleanAll();
    for (const kind of LISTED) {
      const data = kind === 'service' ? [svc('all-six', tags), svc('only-five', tags.slice(0, 5))] : [];
      nock(KONG).get(KIND_DEFS[kind].listPath!).query({ size: '1000', tags: 't1,t2,t3,t4,t5' }).reply(200, { data, next: null });
    }
    const { state } = await fetchCurrent(client(), { selectTags: tags });
    expect(state.entities.map((e) => e.key)).toEqual(['service:all-six']);
  });

  it('refuses a select tag Kong’s filter cannot express', async () => {
    await expect(fetchCurrent(client(), { selectTags: ['a,b'] })).rejects.toMatchObject({ code: 'E_SELECT_TAGS' });
    await expect(fetchCurrent(client(), { selectTags: ['a/b'] })).rejects.toBeInstanceOf(KongCtlError);
  });

  it('treats a collection Kong does not have (plugin not loaded, or keys before Kong 3.1) as empty', async () => {
    const bodies = recordedLists();
    for (const kind of LISTED) {
      const path = KIND_DEFS[kind].listPath!;
      if (kind === 'jwt_secret' || kind === 'key' || kind === 'key_set') nock(KONG).get(path).query(true).reply(404, { message: 'Not found' });
      else nock(KONG).get(path).query(true).reply(200, { data: kind === 'upstream' ? [] : (bodies[kind] ?? []), next: null });
    }
    const { state, raw } = await fetchCurrent(client(), { selectTags: [] });
    expect(raw.jwt_secret).toEqual([]);
    expect(raw.key).toEqual([]);
    expect(state.entities.some((e) => e.kind === 'keyauth_credential')).toBe(true);
  });

  it('does not swallow a 404 on a core collection, and sends nothing more once it failed', async () => {
    for (const kind of LISTED) {
      const path = KIND_DEFS[kind].listPath!;
      if (kind === 'service') nock(KONG).get(path).query(true).reply(404, { message: 'Not found' });
      else nock(KONG).get(path).query(true).optionally().reply(200, { data: [], next: null });
    }
    const c = client();
    await expect(fetchCurrent(c, { selectTags: [], concurrency: 1 })).rejects.toMatchObject({ name: 'AdminApiError', status: 404 });
    // vault, key_set, certificate, ca_certificate, sni, then service fails: the kinds queued behind it are never asked for.
    expect(LISTED.indexOf('service')).toBe(5);
    expect(c.stats.requests).toBe(6);
  });

  it('lists kinds in parallel, never more at once than the bound', async () => {
    let inflight = 0;
    let maxInflight = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    for (const kind of LISTED) {
      nock(KONG)
        .get(KIND_DEFS[kind].listPath!)
        .query(true)
        .reply(async () => {
          inflight++;
          maxInflight = Math.max(maxInflight, inflight);
          await gate;
          inflight--;
          return [200, { data: [], next: null }];
        });
    }
    const done = fetchCurrent(client(), { selectTags: [], concurrency: 3 });
    await vi.waitFor(() => expect(inflight).toBe(3));
    release();
    await done;
    expect(maxInflight).toBe(3);
  });

  it('leaves out plugins scoped to a consumer group (Kong Enterprise), counting them: read as plugins they would lose that scope', async () => {
    const lists = recordedLists();
    const service = lists.service![0];
    // As Kong Enterprise lists it: the plugin names its group by id, as any foreign key.
    const grouped = { ...lists.plugin![0], id: 'f1f1f1f1-0000-4000-8000-000000000001', name: 'rate-limiting', route: null, consumer: null, service: { id: service.id }, consumer_group: { id: 'a0a0a0a0-0000-4000-8000-000000000002' }, config: { minute: 5 } };
    nockLists({ ...lists, plugin: [...lists.plugin!, grouped] });
    nock(KONG).get(`/upstreams/${UPSTREAM_ID}/targets`).query({ size: '1000' }).reply(200, { data: listData('101'), next: null });
    const { state, groupPlugins } = await fetchCurrent(client(), { selectTags: [] });
    expect(groupPlugins).toBe(1);
    expect(state.entities.filter((e) => e.kind === 'plugin')).toHaveLength(lists.plugin!.length);
    expect(state.entities.some((e) => e.id === grouped.id)).toBe(false);
  });

  it('reads a DB-less node with the same GETs (3.4.2-dbless 018-020)', async () => {
    nockLists({ service: listData('018', '3.4.2-dbless'), route: listData('019', '3.4.2-dbless'), plugin: listData('020', '3.4.2-dbless') });
    const { state } = await fetchCurrent(client(), { selectTags: [] });
    expect(indexByKey(state).get('route:orders-api')!.refs.service).toBe('service:orders');
  });

  it('follows pagination for large collections', async () => {
    const consumers = Array.from({ length: 2500 }, (_, i) => ({ id: `c-${i}`, username: `user-${String(i).padStart(4, '0')}`, custom_id: null, tags: null }));
    for (const kind of LISTED) {
      const path = KIND_DEFS[kind].listPath!;
      if (kind !== 'consumer') nock(KONG).get(path).query({ size: '1000' }).reply(200, { data: [], next: null });
    }
    nock(KONG).get('/consumers').query({ size: '1000' }).reply(200, { data: consumers.slice(0, 1000), offset: 'o1', next: '/consumers?offset=o1' });
    nock(KONG).get('/consumers').query({ size: '1000', offset: 'o1' }).reply(200, { data: consumers.slice(1000, 2000), offset: 'o2', next: '/consumers?offset=o2' });
    nock(KONG).get('/consumers').query({ size: '1000', offset: 'o2' }).reply(200, { data: consumers.slice(2000), next: null });
    const { state } = await fetchCurrent(client(), { selectTags: [] });
    expect(state.entities.filter((e) => e.kind === 'consumer')).toHaveLength(2500);
  });
});

/**
 * The benchmark's gateway: N services, each with one route and one plugin (rate-limiting,
 * key-auth or cors in turn), and M consumers. Generated deterministically, both as a decK file
 * (what kong-ctl reads) and straight into the simulator's store (what Kong would hold after
 * applying that file), so a diff of the two must be empty.
 */
import type { SimStore } from './sim-store';

export interface DatasetSize {
  services: number;
  routes: number;
  plugins: number;
  consumers: number;
}

export function sizeFor(scale: number): DatasetSize {
  const n = (x: number) => Math.max(1, Math.round(x * scale));
  return { services: n(10_000), routes: n(10_000), plugins: n(10_000), consumers: n(5_000) };
}

const pad = (i: number) => String(i).padStart(6, '0');

/** Every hundredth entity of each kind differs in the `changed` variant: 1 % of the gateway. */
const isChanged = (i: number) => i % 100 === 0;

function pluginFor(i: number, changed: boolean): Record<string, unknown> {
  const bump = changed && isChanged(i);
  switch (i % 3) {
    case 0:
      return { name: 'rate-limiting', config: { minute: 100 + (i % 50) + (bump ? 1 : 0), policy: 'local' }, tags: ['bench'] };
    case 1:
      return { name: 'key-auth', config: { key_names: bump ? ['apikey', 'x-api-key'] : ['apikey'] }, tags: ['bench'] };
    default:
      return { name: 'cors', config: { origins: bump ? ['https://a.example', 'https://b.example'] : ['https://a.example'] }, tags: ['bench'] };
  }
}

/**
 * The decK document. Route i and plugin i belong to service i mod N, so any sizes work; a
 * service holds at most one plugin of each name (Kong's plugin cache key) as long as
 * plugins ≤ 3 × services.
 */
export function buildDataset(size: DatasetSize, variant: 'base' | 'changed'): { doc: Record<string, unknown>; changedEntities: number } {
  const changed = variant === 'changed';
  const services: Array<Record<string, unknown>> = [];
  for (let i = 0; i < size.services; i++) {
    const s: Record<string, unknown> = {
      name: `svc-${pad(i)}`,
      host: `svc-${pad(i)}.internal`,
      port: 8080,
      path: '/api',
      tags: ['bench'],
      routes: [],
      plugins: [],
    };
    if (changed && isChanged(i)) s.retries = 3;
    services.push(s);
  }
  for (let i = 0; i < size.routes; i++) {
    const paths = [`/r/${pad(i)}`];
    if (changed && isChanged(i)) paths.push(`/r/${pad(i)}/v2`);
    (services[i % size.services].routes as unknown[]).push({ name: `rt-${pad(i)}`, paths, methods: ['GET', 'POST'], tags: ['bench'] });
  }
  for (let i = 0; i < size.plugins; i++) {
    (services[i % size.services].plugins as unknown[]).push(pluginFor(i, changed));
  }
  const consumers: Array<Record<string, unknown>> = [];
  for (let i = 0; i < size.consumers; i++) {
    consumers.push({ username: `user-${pad(i)}`, custom_id: changed && isChanged(i) ? `cid-${pad(i)}-b` : `cid-${pad(i)}`, tags: ['bench'] });
  }
  const count = (n: number) => Math.ceil(n / 100);
  const changedEntities = changed ? count(size.services) + count(size.routes) + count(size.plugins) + count(size.consumers) : 0;
  return { doc: { _format_version: '3.0', services, consumers }, changedEntities };
}

/** What Kong holds after applying the base document: written through the store's own rules. */
export function seedStore(store: SimStore, size: DatasetSize): void {
  const { doc } = buildDataset(size, 'base');
  for (const s of doc.services as Array<Record<string, unknown>>) {
    const { routes, plugins, ...fields } = s;
    const row = store.upsert('services', fields).row;
    for (const r of routes as Array<Record<string, unknown>>) store.upsert('routes', { ...r, service: { id: row.id } });
    for (const p of plugins as Array<Record<string, unknown>>) store.upsert('plugins', { ...p, service: { id: row.id } });
  }
  for (const c of doc.consumers as Array<Record<string, unknown>>) store.upsert('consumers', c);
}

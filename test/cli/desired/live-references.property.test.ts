/**
 * References to looked-up entities (`_info.default_lookup_tags`), whatever way a file writes
 * them: by name, by id or, for a consumer, by custom_id. Once resolved against the live gateway,
 * each desired plugin must have exactly the key of the live plugin on the same entities, so that
 * the plan matches them instead of deleting one and creating the other, and must be labelled by
 * the entities' names, as the live one is.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildCurrentState, type RawKongState } from '../../../cli/src/current/fetch';
import { resolveLiveReferences } from '../../../cli/src/desired/live-references';
import { loadDesired } from '../../../cli/src/desired/load';
import { validateDesired } from '../../../cli/src/desired/validate';

const SERVICES = ['users', 'orders', 'billing', 'search'] as const;
const CONSUMERS = ['alice', 'bob', 'carol'] as const;
// Plugins Kong lets scope to any of service, route and consumer (cors and acl refuse consumers).
const PLUGINS = ['request-transformer', 'response-transformer', 'request-size-limiting'] as const;

/** A stable uuid per name, as a live gateway's ids would be. */
function idOf(kind: string, name: string): string {
  const h = createHash('sha1').update(`${kind}/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

type Spelling = 'name' | 'id' | 'custom_id';

interface PluginSpec {
  name: (typeof PLUGINS)[number];
  service?: string;
  route?: string;
  consumer?: string;
  spell: { service: Spelling; route: Spelling; consumer: Spelling };
}

const spelling = fc.constantFrom<Spelling>('name', 'id');
const pluginArb: fc.Arbitrary<PluginSpec> = fc.record({
  name: fc.constantFrom(...PLUGINS),
  service: fc.option(fc.constantFrom(...SERVICES), { nil: undefined }),
  route: fc.option(fc.constantFrom(...SERVICES.map((s) => `${s}-api`)), { nil: undefined }),
  consumer: fc.option(fc.constantFrom(...CONSUMERS), { nil: undefined }),
  spell: fc.record({ service: spelling, route: spelling, consumer: fc.constantFrom<Spelling>('name', 'id', 'custom_id') }),
});
/** Kong allows one plugin of a name per {service, route, consumer}. */
const pluginsArb = fc.uniqueArray(pluginArb, {
  minLength: 1,
  maxLength: 12,
  selector: (p) => `${p.name}|${p.service}|${p.route}|${p.consumer}`,
});

/** The gateway other teams' files made (tagged for lookup), and the platform's plugins on it. */
function live(plugins: PluginSpec[]): { lookupRaw: RawKongState; scopedRaw: RawKongState } {
  const lookupRaw: RawKongState = {
    service: SERVICES.map((s) => ({ id: idOf('service', s), name: s, host: `${s}.internal`, port: 80, protocol: 'http', tags: ['team-a'] })),
    route: SERVICES.map((s) => ({ id: idOf('route', `${s}-api`), name: `${s}-api`, paths: [`/${s}`], service: { id: idOf('service', s) }, tags: ['team-a'] })),
    consumer: CONSUMERS.map((c) => ({ id: idOf('consumer', c), username: c, custom_id: `${c}-7`, tags: ['identity'] })),
  };
  const ref = (kind: string, name?: string) => (name ? { id: idOf(kind, name) } : null);
  const scopedRaw: RawKongState = {
    plugin: plugins.map((p, i) => ({
      id: idOf('plugin', String(i)),
      name: p.name,
      config: {},
      tags: ['platform'],
      service: ref('service', p.service),
      route: ref('route', p.route),
      consumer: ref('consumer', p.consumer),
    })),
  };
  return { lookupRaw, scopedRaw };
}

/** The platform's file, each reference written as `spell` says. */
function file(plugins: PluginSpec[]): string {
  const written = (kind: string, name: string, how: Spelling) =>
    how === 'id' ? idOf(kind, name) : how === 'custom_id' ? `${name}-7` : name;
  return stringify({
    _format_version: '3.0',
    _info: { select_tags: ['platform'], default_lookup_tags: { services: ['team-a'], routes: ['team-a'], consumers: ['identity'] } },
    plugins: plugins.map((p) => ({
      name: p.name,
      ...(p.service ? { service: written('service', p.service, p.spell.service) } : {}),
      ...(p.route ? { route: written('route', p.route, p.spell.route) } : {}),
      ...(p.consumer ? { consumer: written('consumer', p.consumer, p.spell.consumer) } : {}),
    })),
  });
}

let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'kong-ctl-live-refs-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('references resolved against looked-up entities', () => {
  it('give each desired plugin the key and the names of the live plugin on the same entities', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(pluginsArb, async (plugins) => {
        const f = join(dir, `platform-${run++}.yaml`);
        writeFileSync(f, file(plugins));
        const result = await loadDesired({ files: [f], env: {} });
        expect(validateDesired(result).filter((d) => d.severity !== 'warning')).toEqual([]);

        const { lookupRaw, scopedRaw } = live(plugins);
        const lookup = buildCurrentState(lookupRaw).entities;
        const current = buildCurrentState(scopedRaw, lookup);
        const resolved = resolveLiveReferences(result, { lookup, inScope: current.entities }, { liveReferences: false });
        expect(resolved.diagnostics).toEqual([]);

        const keys = (es: Array<{ key: string }>) => es.map((e) => e.key).sort();
        expect(keys(resolved.state.entities)).toEqual(keys(current.entities));
        const labels = (es: Array<{ label: string }>) => es.map((e) => e.label).sort();
        expect(labels(resolved.state.entities)).toEqual(labels(current.entities));
        for (const e of resolved.state.entities) expect(e.label).not.toContain('#');
      }),
      { numRuns: 150 },
    );
  });
});

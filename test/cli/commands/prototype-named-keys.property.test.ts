/**
 * Property: whatever keys a plugin's free-keyed maps have, Object.prototype's member names
 * among them, load → plan → apply → fetch → plan is empty, Kong stores exactly the file's keys,
 * and a second file's different map is planned as a change and applied as written.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const { sim, addr, write } = simSession('kong-ctl-prototype-keys-property-');

const KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', 'isPrototypeOf', 'x-request-id', 'authorization', 'x-b'];

type Obj = Record<string, unknown>;

/** A map with its keys as own keys (a literal or an assignment would take `__proto__` for the prototype). */
const mapArb = fc
  .uniqueArray(fc.constantFrom(...KEYS), { minLength: 1, maxLength: KEYS.length })
  .chain((keys) => fc.tuple(fc.constant(keys), fc.array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: keys.length, maxLength: keys.length })))
  .map(([keys, values]) => Object.fromEntries(keys.map((k, i) => [k, values[i]])) as Record<string, string>);

/** The file as JSON (which kong-ctl reads as YAML 1.2, keeping every key). */
function file(headers: Record<string, string>, fields: Record<string, string>): string {
  const luaFields = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, `return "${v}"`]));
  return JSON.stringify({
    _format_version: '3.0',
    services: [{ name: 's1', url: 'http://example.com', plugins: [{ name: 'http-log', config: { http_endpoint: 'http://log.example.com/x', headers, custom_fields_by_lua: luaFields } }] }],
  });
}

const entries = (o: unknown) => Object.entries(o as Obj).sort(([a], [b]) => (a < b ? -1 : 1));

describe('map keys named like Object.prototype members, as a property', () => {
  it('apply stores exactly the file, then plans nothing; another map is a change, applied as written', async () => {
    await fc.assert(
      fc.asyncProperty(mapArb, mapArb, mapArb, async (headers, fields, next) => {
        const first = write('a.json', file(headers, fields));
        const applied = await runCli(['apply', '-f', first, ...addr()]);
        expect(applied.code, applied.stdout + applied.stderr).toBe(0);
        const stored = () => sim().store.all('plugins')[0].config as Obj;
        expect(entries(stored().headers)).toEqual(entries(headers));
        expect(entries(stored().custom_fields_by_lua)).toEqual(entries(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, `return "${v}"`]))));
        const again = await runCli(['diff', '-f', first, ...addr()]);
        expect(again.code, again.stdout).toBe(0);

        const second = write('b.json', file(next, fields));
        const same = JSON.stringify(entries(next)) === JSON.stringify(entries(headers));
        const planned = await runCli(['diff', '-f', second, ...addr()]);
        expect(planned.code, planned.stdout).toBe(same ? 0 : 2);
        expect((await runCli(['apply', '-f', second, ...addr()])).code).toBe(0);
        expect(entries(stored().headers)).toEqual(entries(next));
        expect((await runCli(['diff', '-f', second, ...addr()])).code).toBe(0);
      }),
      { numRuns: 15 },
    );
  }, 120_000);
});

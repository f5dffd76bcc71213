/**
 * Whatever way a Kong 2.x file is written (block or flow collections, any quoting, comments,
 * keys in any order, JSON), convert makes every change in place: the text reads back as the
 * changes applied to the value, and the document is never serialised anew.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { applyToValue, findChanges } from '../../../cli/src/convert/changes';
import { convertLegacyFile } from '../../../cli/src/convert/convert';
import { writeYaml } from './yaml-writer';

const PATHS = ['/orders', '/orders/\\d+', '/a/../b', '/x/(?<id>[^/]+)$', '/v1/%7Bid%7D/(a|b)', '/caf%C3%A9', '/a//b', '/%7euser'];

/** A plugin object with its keys in the order given by `order`. */
function ordered(obj: Record<string, unknown>, order: number[]): Record<string, unknown> {
  const keys = Object.keys(obj);
  const sorted = order.filter((i) => i < keys.length).map((i) => keys[i]);
  for (const k of keys) if (!sorted.includes(k)) sorted.push(k);
  return Object.fromEntries(sorted.map((k) => [k, obj[k]]));
}

const runOn = fc.option(fc.constant('first'), { nil: undefined });
const order = fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4 });
const withRunOn = (p: Record<string, unknown>, r: string | undefined) => (r ? { ...p, run_on: r } : p);

const plugin = fc
  .tuple(
    fc.constantFrom('ip-restriction', 'acl', 'pre-function', 'aws-lambda', 'aws-lambda-alone', 'http-log', 'cors', 'bot-detection', 'rate-limiting-advanced', 'rla-empty'),
    runOn,
    order,
    fc.boolean(),
  )
  .map(([kind, r, o, emptySuccessor]) => {
    const configs: Record<string, Record<string, unknown>> = {
      'ip-restriction': emptySuccessor ? { whitelist: ['10.0.0.0/8'], allow: [] } : { whitelist: ['10.0.0.0/8'] },
      acl: emptySuccessor ? { deny: [], blacklist: ['bots'] } : { blacklist: ['bots'], hide_groups_header: true },
      'pre-function': { functions: ['return 1'] },
      'aws-lambda': { aws_region: 'eu-west-1', proxy_scheme: 'https', function_name: 'f' },
      'aws-lambda-alone': { proxy_scheme: 'https' },
      'http-log': { http_endpoint: 'http://log', headers: { 'X-One': ['v'], 'X-Two': ['a', 'b'], 'X-None': [] } },
      cors: { origins: ['*'] },
      'bot-detection': { whitelist: ['curl'], blacklist: [] },
      'rate-limiting-advanced': { limit: [5], window_size: [60], sync_rate: -1 },
      'rla-empty': {},
    };
    const name = kind === 'aws-lambda-alone' ? 'aws-lambda' : kind === 'rla-empty' ? 'rate-limiting-advanced' : kind;
    return ordered(withRunOn({ name, config: ordered(configs[kind], o), enabled: true }, r), o);
  });

const route = fc
  .tuple(fc.integer({ min: 0, max: 99 }), fc.array(fc.constantFrom(...PATHS), { minLength: 1, maxLength: 3 }), fc.array(plugin, { maxLength: 2 }))
  .map(([n, paths, plugins]) => ({ name: `r${n}`, paths, ...(plugins.length ? { plugins } : {}) }));

const file = fc
  .tuple(
    // undefined: no _format_version, which decK reads as "1.1"
    fc.constantFrom('1.1', '2.1', undefined),
    fc.array(fc.tuple(fc.array(route, { maxLength: 3 }), fc.array(plugin, { maxLength: 2 })), { maxLength: 3 }),
    fc.array(plugin, { maxLength: 3 }),
  )
  .map(([version, services, plugins]) => ({
    ...(version === undefined ? {} : { _format_version: version }),
    services: services.map(([routes, sp], i) => ({ name: `s${i}`, url: 'http://upstream:8080', routes, plugins: sp })),
    plugins,
  }));

/** rate-limiting-advanced's generated namespaces differ from one run of findChanges to the next. */
function sameNamespaces(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (k, v) => (k === 'namespace' && typeof v === 'string' && /^[0-9A-Za-z]{32}$/.test(v) ? 'generated' : v)));
}

describe('convert edits any way of writing a Kong 2.x file in place', () => {
  it('YAML', () => {
    fc.assert(
      fc.property(file, fc.integer(), (value, seed) => {
        const text = writeYaml(value, seed);
        // The yaml library can write a comment before a flow collection where it breaks the file.
        fc.pre(parseDocument(text).errors.length === 0);
        const r = convertLegacyFile({ name: 'old.yaml', text });
        expect(r.status, text).toBe('converted');
        if (r.status !== 'converted') return;
        expect(r.layoutKept, `${text}\n---\n${r.text}`).toBe(true);
        expect(sameNamespaces(parse(r.text))).toEqual(sameNamespaces(applyToValue(value, findChanges(value).changes)));
      }),
      { numRuns: 300 },
    );
  });

  it('JSON', () => {
    fc.assert(
      fc.property(file, fc.constantFrom(0, 2, 4), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const r = convertLegacyFile({ name: 'old.json', text });
        expect(r.status).toBe('converted');
        if (r.status !== 'converted') return;
        expect(r.layoutKept, `${text}\n---\n${r.text}`).toBe(true);
        expect(sameNamespaces(JSON.parse(r.text))).toEqual(sameNamespaces(applyToValue(value, findChanges(value).changes)));
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * Whatever way a Kong 3.x file is written (block or flow collections, any quoting, comments,
 * JSON), `convert --to 3.14` pins in place: the text reads back as the pins applied to the
 * value, the document is never serialised anew, and converting the result again pins nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { applyToValue } from '../../../cli/src/convert/changes';
import { convertFile } from '../../../cli/src/convert/convert';
import { findPins314 } from '../../../cli/src/convert/pins-314';
import { writeYaml } from './yaml-writer';

/** Plugins with something to pin (or deliberately nothing), config absent, empty or written. */
const plugin = fc
  .tuple(
    fc.constantFrom('key-auth', 'ldap-auth', 'acme', 'openid-connect', 'datakit', 'http-log', 'cors', 'azure-functions'),
    fc.constantFrom('none', 'empty', 'full'),
    fc.boolean(),
  )
  .map(([name, how, explicit]) => {
    const full: Record<string, Record<string, unknown>> = {
      'key-auth': explicit ? { key_names: ['k'], hide_credentials: true } : { key_names: ['k'] },
      'ldap-auth': { ldap_host: 'ldap', ...(explicit ? { verify_ldap_host: true } : {}) },
      acme: { account_email: 'a@b.c', storage_config: { redis: explicit ? { host: 'r', ssl_verify: true } : { host: 'r' } } },
      'openid-connect': { issuer: 'https://idp', redis: {}, cluster_cache_redis: { host: 'c' } },
      datakit: { nodes: [{ type: 'call', name: 'a' }, { type: 'jq', name: 'b' }, explicit ? { type: 'call', name: 'c', ssl_verify: true } : { type: 'call', name: 'c' }] },
      'http-log': { http_endpoint: 'https://log', ...(explicit ? { ssl_verify: true } : {}) },
      cors: { origins: ['*'] },
      'azure-functions': { appname: 'f' },
    };
    if (how === 'none') return { name };
    return { name, config: how === 'empty' ? {} : full[name] };
  });

const route = fc
  .tuple(fc.integer({ min: 0, max: 99 }), fc.constantFrom(undefined, ['https'], ['http', 'https']), fc.array(plugin, { maxLength: 2 }))
  .map(([n, protocols, plugins]) => ({ name: `r${n}`, paths: [`/r${n}`], ...(protocols ? { protocols } : {}), ...(plugins.length ? { plugins } : {}) }));

const service = fc
  .tuple(
    fc.constantFrom({ protocol: 'https', host: 'h' }, { protocol: 'http', host: 'h' }, { url: 'https://h:8443/p' }, { url: 'http://h' }, { protocol: 'tls', host: 'h', port: 9000 }),
    fc.constantFrom(undefined, true, false),
    fc.array(route, { maxLength: 3 }),
    fc.array(plugin, { maxLength: 2 }),
  )
  .map(([where, tls, routes, plugins]) => ({ name: 's', ...where, ...(tls === undefined ? {} : { tls_verify: tls }), routes, plugins }));

const file = fc
  .tuple(fc.array(service, { maxLength: 3 }), fc.array(route, { maxLength: 2 }), fc.array(plugin, { maxLength: 3 }))
  .map(([services, routes, plugins]) => ({ _format_version: '3.0', services: services.map((s, i) => ({ ...s, name: `s${i}` })), routes, plugins }));

function check(value: Record<string, unknown>, text: string, name: string, read: (t: string) => unknown): void {
  const r = convertFile({ name, text }, { pin314: true });
  const pins = findPins314(value).changes;
  if (pins.length === 0) {
    expect(r.status).toBe('current');
    return;
  }
  expect(r.status, text).toBe('converted');
  if (r.status !== 'converted') return;
  expect(r.layoutKept, `${text}\n---\n${r.text}`).toBe(true);
  expect(read(r.text)).toEqual(applyToValue(value, pins));
  expect(convertFile({ name, text: r.text }, { pin314: true }).status, r.text).toBe('current');
}

describe('convert --to 3.14 pins in place, whatever way the file is written', () => {
  it('YAML', () => {
    fc.assert(
      fc.property(file, fc.integer(), (value, seed) => {
        const text = writeYaml(value, seed);
        fc.pre(parseDocument(text).errors.length === 0);
        check(value, text, 'kong.yaml', (t) => parse(t));
      }),
      { numRuns: 300 },
    );
  });

  it('JSON', () => {
    fc.assert(
      fc.property(file, fc.constantFrom(0, 2, 4), (value, indent) => {
        check(value, JSON.stringify(value, null, indent), 'kong.json', (t) => JSON.parse(t));
      }),
      { numRuns: 200 },
    );
  });
});

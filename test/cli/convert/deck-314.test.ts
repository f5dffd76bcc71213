/**
 * decK's own tests of `deck file convert --from 3.10 --to 3.14` (convert/convert_test.go's
 * "converts from 3.10 to 3.14 format" on testdata/11, and plugin_updates_314_test.go's cases;
 * https://github.com/Kong/deck, Apache-2.0), run through `kong-ctl convert --to 3.14`. Results
 * are compared as data, as decK's tests compare them: kong-ctl edits the input in place (its
 * comments, quoting and key order stay), decK writes a new document. The files and their commits
 * are in test/fixtures/deck-convert/README.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { convertFile } from '../../../cli/src/convert/convert';
import { nockSession } from '../commands/nock-session';
import { runCli } from '../commands/run-cli';

const session = nockSession('kong-ctl-deck-convert-314-');
const DIR = join(__dirname, '../../fixtures/deck-convert');
const at = (name: string) => join(DIR, name);
const read = (name: string) => readFileSync(at(name), 'utf8');

/** One plugin in a "3.0" file, pinned as `updateLegacyPluginConfigFor314` would: its config after. */
function pluginConfigAfter(name: string, config: Record<string, unknown>): unknown {
  const text = `_format_version: "3.0"\nplugins:\n- name: ${name}\n  config: ${JSON.stringify(config)}\n`;
  const r = convertFile({ name: 'plugin.yaml', text }, { pin314: true });
  if (r.status === 'refused') throw new Error(JSON.stringify(r.errors));
  return parse(r.text).plugins[0].config;
}

describe("decK's convert tests: 3.10 to 3.14", () => {
  it('converts from 3.10 to 3.14 format (testdata/11), with decK\'s own flags', async () => {
    const out = join(session.dir(), '11-output.yaml');
    const r = await runCli(['convert', '--from', '3.10', '--to', '3.14', '--input-file', at('11/input.yaml'), '--output-file', out]);
    // decK's file holds Kong Enterprise plugins and a wss service, which the offline checks of
    // Kong 3.x refuse: the file is written, and what is left is listed (exit 1).
    expect(existsSync(out), r.stderr).toBe(true);
    const text = readFileSync(out, 'utf8');
    // One deliberate difference: decK pins tls_verify on the grpcs service too, which Kong's
    // services schema refuses for grpcs (tls_verify must be null unless https, tls or EE's wss),
    // so kong-ctl leaves that service alone and warns at its protocol instead.
    const expected = parse(read('11/output-expected.yaml'));
    const grpcs = expected.services.find((s: { name: string }) => s.name === 's5-grpcs');
    expect(grpcs.tls_verify).toBe(false);
    delete grpcs.tls_verify;
    expect(parse(text)).toEqual(expected);
    expect(r.stderr).toMatch(/input\.yaml:45:\d+: warning: services\[4\]\.protocol: a grpcs service cannot set tls_verify/);
    // Edited in place: every line of decK's input is still there, in order, but for the
    // `config: {}` that got their hide_credentials.
    const kept = read('11/input.yaml')
      .split('\n')
      .filter((l) => !l.endsWith('config: {}'));
    let from = 0;
    const lines = text.split('\n');
    for (const l of kept) {
      const i = lines.indexOf(l, from);
      expect(i, `${JSON.stringify(l)} kept in order`).toBeGreaterThanOrEqual(from);
      from = i + 1;
    }
    expect(r.stderr).toContain(`Pinned 27 values in ${at('11/input.yaml')}`);
    expect(r.stderr).not.toContain('not all of its layout');
  });

  describe('TestUpdateLegacyPluginConfigFor314_SSLVerifyFields', () => {
    const cases: Array<[string, string, Record<string, unknown>, Record<string, unknown>]> = [
      [
        'sets nested basic-auth redis ssl_verify',
        'basic-auth',
        { brute_force_protection: { redis: {} } },
        { hide_credentials: false, brute_force_protection: { redis: { ssl_verify: false } } },
      ],
      ['sets acme redis ssl_verify only when redis config exists', 'acme', { storage_config: { redis: {} } }, { storage_config: { redis: { ssl_verify: false } } }],
      ['does not invent missing nested acme config', 'acme', {}, {}],
      [
        'sets openid-connect nested and top-level fields',
        'openid-connect',
        { cluster_cache_redis: {}, redis: {} },
        { ssl_verify: false, session_memcached_ssl_verify: false, cluster_cache_redis: { ssl_verify: false }, redis: { ssl_verify: false } },
      ],
      [
        'sets datakit call nodes and redis cache ssl_verify',
        'datakit',
        {
          nodes: [
            { type: 'call', name: 'a' },
            { type: 'branch', name: 'b' },
          ],
          resources: { cache: { redis: {} } },
        },
        {
          nodes: [
            { type: 'call', name: 'a', ssl_verify: false },
            { type: 'branch', name: 'b' },
          ],
          resources: { cache: { redis: { ssl_verify: false } } },
        },
      ],
      [
        'sets request-callout nested fields',
        'request-callout',
        { cache: { redis: {} }, callouts: { request: { http_opts: {} } } },
        { cache: { redis: { ssl_verify: false } }, callouts: { request: { http_opts: { ssl_verify: false } } } },
      ],
      ['uses plugin-specific field names for azure and ldap', 'azure-functions', {}, { https_verify: false }],
      [
        'sets solace-consume session ssl_validate_certificate when session config exists',
        'solace-consume',
        { session: {} },
        { session: { ssl_validate_certificate: false } },
      ],
      ['does not invent missing solace session config', 'solace-log', {}, {}],
    ];
    for (const [name, plugin, config, expected] of cases) {
      it(name, () => expect(pluginConfigAfter(plugin, config)).toEqual(expected));
    }
  });

  it('TestUpdateLegacyPluginConfigFor314_LDAPVerifyHost', () => {
    expect(pluginConfigAfter('ldap-auth', {})).toEqual({ hide_credentials: false, verify_ldap_host: false });
  });

  it('TestUpdateLegacyPluginConfigFor314_LeavesUnsupportedPluginUnchanged', () => {
    // opa was in decK's first, flat list of ssl_verify plugins; its table leaves it out.
    expect(pluginConfigAfter('opa', { foo: 'bar' })).toEqual({ foo: 'bar' });
  });

  it('TestParseFormat: decK\'s names, in any case; anything else is refused, nothing written', async () => {
    const file = session.write('parse.yaml', '_format_version: "3.0"\nroutes:\n- name: r\n  paths: [/r]\n');
    for (const [from, to] of [
      ['3.10', '3.14'],
      ['KONG-GATEWAY-3.x', '3.14'],
      ['kong-gateway-2.x', 'Kong-Gateway-3.x'],
    ]) {
      const out = join(session.dir(), `parse-${from}-${to}.yaml`);
      const r = await runCli(['convert', '-f', file, '--from', from, '--to', to, '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      const written = readFileSync(out, 'utf8');
      if (from === 'kong-gateway-2.x') {
        // A "3.0" file is a converted one already: left as it is, as without --from.
        expect(r.stderr).toContain(`${file} already has _format_version "3.0": nothing to convert.`);
        expect(written).toBe(readFileSync(file, 'utf8'));
      } else {
        expect(parse(written).routes[0].protocols).toEqual(['http', 'https']);
      }
    }
    const out = join(session.dir(), 'never-k42.yaml');
    const r = await runCli(['convert', '-f', file, '--to', 'k42', '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--to k42: convert writes kong-gateway-3.x');
    expect(existsSync(out)).toBe(false);
  });

  it('errors out due to invalid conversion (kong-gateway-3.x to kong-gateway-2.x): exit 1, nothing written', async () => {
    const out = join(session.dir(), 'never-3-to-2.yaml');
    const r = await runCli(['convert', '--from', 'kong-gateway-3.x', '--to', 'kong-gateway-2.x', '--input-file', at('3/input.yaml'), '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--to kong-gateway-2.x: convert writes kong-gateway-3.x (a Kong 2.x file made a Kong 3.x one, the default) or 3.14");
    expect(existsSync(out)).toBe(false);
  });
});

/**
 * `kong-ctl convert --to 3.14`: the defaults Kong 3.14 made secure pinned to their old values,
 * in place (comments, quoting and layout kept, compared as whole texts), each pin listed at its
 * line, those that leave TLS certificates unverified listed again for review at their line in
 * the new file. What kong-ctl does beyond decK's conversion (test/fixtures/deck-convert/README.md)
 * is pinned here: a protocol read from a service's url or `_info.defaults`, values the file's
 * `_info.defaults` or `_plugin_configs` give left alone, templates left as written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { convertFile, type ConvertResult } from '../../../cli/src/convert/convert';
import { nockSession } from '../commands/nock-session';
import { runCli } from '../commands/run-cli';

const session = nockSession('kong-ctl-convert-314-');

function pinned(text: string, name = 'kong.yaml'): Extract<ConvertResult, { status: 'converted' }> {
  const r = convertFile({ name, text }, { pin314: true });
  if (r.status !== 'converted') throw new Error(`not converted: ${JSON.stringify(r)}`);
  return r;
}

function unchanged(text: string): Extract<ConvertResult, { status: 'current' }> {
  const r = convertFile({ name: 'kong.yaml', text }, { pin314: true });
  if (r.status !== 'current') throw new Error(`changed: ${JSON.stringify(r)}`);
  return r;
}

const FILE = `# orders gateway, Kong 3.10
_format_version: "3.0"

services:
- name: orders   # TLS to the backend
  url: https://orders.internal:8443/v1
  routes:
  - name: by-id
    paths: [/orders]   # public
  - name: admin
    paths:
    - /admin
    protocols: [https]
  plugins:
  - name: key-auth
    config:
      key_names: [apikey]   # the header
- name: legacy
  protocol: http
  host: legacy.internal
  tls_verify: ~

plugins:
- name: http-log
  config: {http_endpoint: 'https://log.internal'}
- name: rate-limiting
  config:
    policy: redis
    redis:
      host: redis.internal
- name: basic-auth
`;

const PINNED = `# orders gateway, Kong 3.10
_format_version: "3.0"

services:
- name: orders   # TLS to the backend
  url: https://orders.internal:8443/v1
  routes:
  - name: by-id
    paths: [/orders]   # public
    protocols: [http, https]
  - name: admin
    paths:
    - /admin
    protocols: [https]
  plugins:
  - name: key-auth
    config:
      key_names: [apikey]   # the header
      hide_credentials: false
  tls_verify: false
- name: legacy
  protocol: http
  host: legacy.internal
  tls_verify: ~

plugins:
- name: http-log
  config: {http_endpoint: 'https://log.internal', ssl_verify: false}
- name: rate-limiting
  config:
    policy: redis
    redis:
      host: redis.internal
      ssl_verify: false
- name: basic-auth
  config: {hide_credentials: false}
`;

describe('convert --to 3.14', () => {
  it("pins in place, keeping comments, quoting and layout, and reads an https service's protocol from its url", () => {
    const r = pinned(FILE);
    expect(r.text).toBe(PINNED);
    expect(r.layoutKept).toBe(true);
    expect(r.changes).toEqual([]);
    expect(r.pins.map((p) => `${p.line}:${p.column}: ${p.path}${p.insecure ? ' (insecure)' : ''}`)).toEqual([
      '5:3: services[0].tls_verify (insecure)',
      '8:5: services[0].routes[0].protocols',
      '17:7: services[0].plugins[0].config.hide_credentials',
      '25:11: plugins[0].config.ssl_verify (insecure)',
      '30:7: plugins[1].config.redis.ssl_verify (insecure)',
      '31:3: plugins[2].config.hide_credentials',
    ]);
    // decK's convert reads `protocol` only: a url service it leaves to verify certificates.
    expect(r.pins[0].message).toBe(
      "added false: Kong 3.14 verifies the upstream's certificate by default for protocol https (tls_certificate_verify is on) " +
        "(its protocol, https, comes from its url; decK's convert reads protocol only); pinned to the old default: " +
        'certificates go unverified, as before 3.14: review it, and remove it to take the new secure default',
    );
    expect(r.pins[1].message).toBe(
      'added ["http", "https"]: Kong 3.14 defaults a route\'s protocols to ["https"] only; pinned to the old default; remove it to take the new secure default',
    );
    expect(r.pins[2].message).toBe(
      'added false: Kong 3.14 defaults hide_credentials to true (the credential is no longer sent upstream); pinned to the old default; remove it to take the new secure default',
    );
    // The insecure ones again, where they are in the new text.
    expect(r.review.map((p) => `${p.line}:${p.column}: ${p.path}`)).toEqual([
      '20:15: services[0].tls_verify',
      '28:63: plugins[0].config.ssl_verify',
      '34:19: plugins[1].config.redis.ssl_verify',
    ]);
  });

  it('is idempotent: the converted file has nothing left to pin', () => {
    const once = pinned(FILE).text;
    expect(unchanged(once).text).toBe(once);
  });

  it('never touches a value the file sets, even to the new default or null where decK keeps it', () => {
    const text = `_format_version: "3.0"
services:
- name: s
  protocol: https
  host: h
  tls_verify: true
  routes:
  - name: r
    paths: [/r]
    protocols: [https]
- name: t
  url: https://t.example
  tls_verify: false
plugins:
- name: key-auth
  config: {hide_credentials: true}
- name: ldap-auth
  config:
    hide_credentials: null
    verify_ldap_host: true
- name: acme
  config:
    storage_config:
      redis: {ssl_verify: true}
- name: datakit
  config:
    nodes:
    - {type: call, name: a, ssl_verify: true}
    - {type: jq, name: b}
- name: cors
  config: {}
`;
    expect(unchanged(text).text).toBe(text);
  });

  it('a value written as ${{ env }} stays a template; one that decides a pin is a warning at its line', () => {
    const text = `_format_version: "3.0"
services:
- name: s
  url: \${{ env "DECK_URL" }}
- name: t
  protocol: \${{ env "DECK_PROTOCOL" }}
  host: t
- name: u
  protocol: https
  host: u
  tls_verify: \${{ env "DECK_TLS_VERIFY" }}
  routes:
  - name: r
    paths: [/r]
    protocols: \${{ env "DECK_PROTOCOLS" }}
plugins:
- name: \${{ env "DECK_AUTH" }}
- name: key-auth
  config:
    hide_credentials: \${{ env "DECK_HIDE" }}
`;
    const r = convertFile({ name: 't.yaml', text }, { pin314: true });
    expect(r.status).toBe('current');
    expect(r.status === 'current' && r.text).toBe(text);
    expect(r.warnings.map((w) => `${w.line}:${w.column}: ${w.path}`)).toEqual(['4:8: services[0].url', '6:13: services[1].protocol', '17:9: plugins[0].name']);
    expect(r.warnings[0].message).toBe(
      "its url's scheme comes from ${{ … }}: if it is https, tls, grpcs, wss, Kong 3.14 verifies the upstream's certificate (tls_certificate_verify is on) unless the service sets tls_verify; set it by hand to keep the old behaviour",
    );
    // A literal scheme in front of a template is read as written.
    const host = pinned(`_format_version: "3.0"\nservices:\n- name: s\n  url: https://\${{ env "DECK_HOST" }}/v1\n`);
    expect(host.text).toBe(`_format_version: "3.0"\nservices:\n- name: s\n  url: https://\${{ env "DECK_HOST" }}/v1\n  tls_verify: false\n`);
  });

  it('where the protocol comes from: protocol beside url wins, _info.defaults counts, http and no protocol are not pinned', () => {
    const text = `_format_version: "3.0"
_info:
  defaults:
    service:
      protocol: https
services:
- name: plain-beside-url
  protocol: http
  url: https://a.example
- name: http-url
  url: http://b.example
- name: from-defaults
  host: c.example
- name: grpcs
  protocol: grpcs
  host: d.example
`;
    const r = pinned(text);
    // grpcs: Kong refuses tls_verify on it, so a warning instead of decK's pin.
    expect(r.pins.map((p) => p.path)).toEqual(['services[2].tls_verify']);
    expect(r.warnings.map((w) => [w.path, w.message.slice(0, 44)])).toEqual([['services[3].protocol', 'a grpcs service cannot set tls_verify (Kong\'']]);
    expect(r.pins[0].message).toContain('(its protocol, https, comes from _info.defaults.service.protocol;');
    // Without the https default nothing is left to pin: the file is current.
    expect(parse(unchanged(text.replace('      protocol: https\n', '      retries: 3\n')).text).services[2]).toEqual({ name: 'from-defaults', host: 'c.example' });
  });

  it("does not pin over what the file's _info.defaults or a plugin's _plugin_configs give (decK would)", () => {
    const text = `_format_version: "3.0"
_info:
  defaults:
    route:
      protocols: [https]
    service:
      tls_verify: true
_plugin_configs:
  hidden:
    hide_credentials: true
  shared-redis:
    redis: {host: r}
services:
- name: s
  protocol: https
  host: h
  routes:
  - name: r
    paths: [/r]
plugins:
- name: key-auth
  _config: hidden
- name: basic-auth
  _config: shared-redis
- name: rate-limiting
  _config: shared-redis
- name: hmac-auth
  _config: elsewhere
`;
    const r = convertFile({ name: 'd.yaml', text }, { pin314: true });
    expect(r.status).toBe('converted');
    if (r.status !== 'converted') return;
    // basic-auth's hide_credentials is not in its shared config: pinned on the plugin itself.
    expect(r.pins.map((p) => p.path)).toEqual(['plugins[1].config.hide_credentials']);
    expect(parse(r.text).plugins[1]).toEqual({ name: 'basic-auth', _config: 'shared-redis', config: { hide_credentials: false } });
    expect(r.warnings.map((w) => `${w.line}:${w.column}: ${w.path}: ${w.message}`)).toEqual([
      "26:12: plugins[2]._config: not pinned: redis.ssl_verify would come from _plugin_configs.shared-redis, shared by every plugin that names it; Kong 3.14 made its default secure: pin the old value there by hand to keep the old behaviour",
      "28:12: plugins[3]._config: not pinned: hide_credentials would come from _plugin_configs.elsewhere, which is not in this file; Kong 3.14 made its default secure: pin the old value there by hand to keep the old behaviour",
    ]);
  });

  it("does not pin over a nested value the plugin's _plugin_configs record gives: records merge key by key", () => {
    const text = `_format_version: "3.0"
_plugin_configs:
  verified-redis:
    redis: {host: r, ssl_verify: true}
  plain-redis:
    redis: {host: r}
plugins:
- name: rate-limiting
  _config: verified-redis
  config:
    redis: {host: mine}
- name: response-ratelimiting
  _config: plain-redis
  config:
    redis: {host: mine}
`;
    const r = convertFile({ name: 'n.yaml', text }, { pin314: true });
    expect(r.status).toBe('converted');
    if (r.status !== 'converted') return;
    // The first takes ssl_verify from its shared record; the second's merged record has none.
    expect(r.pins.map((p) => p.path)).toEqual(['plugins[1].config.redis.ssl_verify']);
    expect(r.warnings).toEqual([]);
  });

  it('fills null and empty values as decK does; a plugin without config gets one, acme (nothing top-level to pin) none', () => {
    const text = `_format_version: "3.0"
services:
- name: s
  protocol: tls
  host: h
  tls_verify:
  routes:
  - name: empty
    protocols: []
  - name: none
    protocols:
consumer_groups:
- name: gold
  plugins:
  - name: ldap-auth
    config: null
  - name: azure-functions
  - name: acme
`;
    const r = pinned(text);
    expect(r.text).toBe(`_format_version: "3.0"
services:
- name: s
  protocol: tls
  host: h
  tls_verify: false
  routes:
  - name: empty
    protocols: [http, https]
  - name: none
    protocols: [http, https]
consumer_groups:
- name: gold
  plugins:
  - name: ldap-auth
    config: {hide_credentials: false, verify_ldap_host: false}
  - name: azure-functions
    config: {https_verify: false}
  - name: acme
`);
    expect(r.pins.map((p) => `${p.line}: ${p.path}: ${p.message.split(':')[0]}`)).toEqual([
      '6: services[0].tls_verify: null → false',
      '9: services[0].routes[0].protocols: [] → ["http", "https"]',
      '11: services[0].routes[1].protocols: null → ["http", "https"]',
      '16: consumer_groups[0].plugins[0].config.hide_credentials: added false',
      '16: consumer_groups[0].plugins[0].config.verify_ldap_host: added false',
      '17: consumer_groups[0].plugins[1].config.https_verify: added false',
    ]);
  });

  it('datakit: each call node gets ssl_verify, only where it is absent', () => {
    const r = pinned(`_format_version: "3.0"
plugins:
- name: datakit
  config:
    nodes:
    - type: call
      name: a
      url: https://a
    - {type: call, name: b, ssl_verify: true}
    - {type: call, name: c}
    - type: jq
      name: d
`);
    expect(parse(r.text).plugins[0].config.nodes).toEqual([
      { type: 'call', name: 'a', url: 'https://a', ssl_verify: false },
      { type: 'call', name: 'b', ssl_verify: true },
      { type: 'call', name: 'c', ssl_verify: false },
      { type: 'jq', name: 'd' },
    ]);
    expect(r.layoutKept).toBe(true);
  });

  it('a JSON file stays JSON, laid out as written', () => {
    const text = `{
  "_format_version": "3.0",
  "services": [
    {
      "name": "s",
      "protocol": "https",
      "host": "h",
      "routes": [{ "name": "r", "paths": ["/r"] }]
    }
  ]
}
`;
    const r = pinned(text, 'kong.json');
    expect(r.text).toBe(`{
  "_format_version": "3.0",
  "services": [
    {
      "name": "s",
      "protocol": "https",
      "host": "h",
      "routes": [{ "name": "r", "paths": ["/r"], "protocols": ["http", "https"] }],
      "tls_verify": false
    }
  ]
}
`);
    expect(JSON.parse(r.text).services[0].tls_verify).toBe(false);
  });

  it('a Kong 2.x file is converted to "3.0" and pinned in one go', () => {
    const r = pinned(`_format_version: "1.1"\nroutes:\n- name: r\n  paths: [/orders/\\d+]\n  plugins:\n  - name: key-auth\n    run_on: first\n`);
    expect(r.text).toBe(`_format_version: "3.0"\nroutes:\n- name: r\n  paths: [~/orders/\\d+]\n  plugins:\n  - name: key-auth\n    config: {hide_credentials: false}\n  protocols: [http, https]\n`);
    expect(r.changes.map((c) => c.path)).toEqual(['_format_version', 'routes[0].paths[0]', 'routes[0].plugins[0].run_on']);
    expect(r.pins.map((c) => c.path)).toEqual(['routes[0].protocols', 'routes[0].plugins[0].config.hide_credentials']);
  });
});

describe('kong-ctl convert --to 3.14', () => {
  it('lists each pin at its line, then the insecure ones to review in the new file, and writes it', async () => {
    const old = session.write('kong310.yaml', FILE);
    const out = join(session.dir(), 'kong314.yaml');
    const r = await runCli(['convert', '-f', old, '--to', '3.14', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(PINNED);
    const lines = r.stderr.split('\n');
    expect(lines.map((l) => l.replace(/: (added|null|\[\]) .*/, ''))).toEqual([
      `${old}:5:3: services[0].tls_verify`,
      `${old}:8:5: services[0].routes[0].protocols`,
      `${old}:17:7: services[0].plugins[0].config.hide_credentials`,
      `${old}:25:11: plugins[0].config.ssl_verify`,
      `${old}:30:7: plugins[1].config.redis.ssl_verify`,
      `${old}:31:3: plugins[2].config.hide_credentials`,
      `Pinned 6 values in ${old} to what Kong before 3.14 defaulted to, so that Kong 3.14 keeps behaving as it did (and \`kong-ctl diff\` shows no update for them); each pin is yours to keep or to remove for the new secure default.`,
      '3 pins keep TLS certificate verification off, which is insecure: review each one below, and remove it where the upstream or server has a certificate Kong can verify:',
      `  ${out}:20:15: services[0].tls_verify: false`,
      `  ${out}:28:63: plugins[0].config.ssl_verify: false`,
      `  ${out}:34:19: plugins[1].config.redis.ssl_verify: false`,
      `Wrote ${out}.`,
      // Kong 3.4's schemas, which the offline checks use, predate these fields: --online asks the node.
      `${out}:28:51: warning: plugins[0]: config.ssl_verify: unknown field in Kong 3.4's http-log plugin; a newer Kong may accept it (\`kong-ctl validate --online\` asks yours)`,
      `${out}:32:5: warning: plugins[1]: config.redis: unknown field in Kong 3.4's rate-limiting plugin; a newer Kong may accept it (\`kong-ctl validate --online\` asks yours)`,
      `${out} is valid for Kong 3.x (offline checks); --online also checks its plugins' configs against your Kong.`,
      '',
    ]);

    // Again: nothing left to pin, the file written unchanged.
    const again = await runCli(['convert', '-f', out, '--to', '3.14', '-o', out]);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe(
      `${out} already sets every value whose default Kong 3.14 made secure, or leaves it to the new default: nothing to pin.\nWrote ${out} unchanged.\n`,
    );
    expect(readFileSync(out, 'utf8')).toBe(PINNED);
  });

  it('--from kong-gateway-2.x --to 3.14: a Kong 2.x file converted and pinned in one run, both listed', async () => {
    const old = session.write('kong2.yaml', '_format_version: "1.1"\nservices:\n- name: s\n  url: http://s\n  routes:\n  - name: r\n    paths: [/r/\\d+]\n');
    const out = join(session.dir(), 'kong314-from-2.yaml');
    const r = await runCli(['convert', '-f', old, '--from', 'kong-gateway-2.x', '--to', '3.14', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('_format_version: "3.0"\nservices:\n- name: s\n  url: http://s\n  routes:\n  - name: r\n    paths: [~/r/\\d+]\n    protocols: [http, https]\n');
    expect(r.stderr.split('\n').slice(0, 5)).toEqual([
      `${old}:1:18: _format_version: "1.1" → "3.0"`,
      `${old}:7:13: services[0].routes[0].paths[0]: "/r/\\\\d+" → "~/r/\\\\d+": Kong 2.x read this path as a regex; Kong 3.x needs the ~ prefix to do so`,
      `${old}:6:5: services[0].routes[0].protocols: added ["http", "https"]: Kong 3.14 defaults a route's protocols to ["https"] only; pinned to the old default; remove it to take the new secure default`,
      `Converted ${old} to _format_version "3.0" with 2 changes.`,
      `Pinned 1 value in ${old} to what Kong before 3.14 defaulted to, so that Kong 3.14 keeps behaving as it did (and \`kong-ctl diff\` shows no update for them); each pin is yours to keep or to remove for the new secure default.`,
    ]);
  });

  it('without --to, a "3.0" file is left exactly as today', async () => {
    const file = session.write('as-today.yaml', FILE);
    const r = await runCli(['convert', '-f', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(FILE);
    expect(r.stderr).toBe(`${file} already has _format_version "3.0": nothing to convert.\n`);
  });

  it('refuses what it cannot do, exit 1, nothing written', async () => {
    const v3 = session.write('v3.yaml', FILE);
    const v2 = session.write('v2.yaml', '_format_version: "2.1"\nservices: []\n');
    const v4 = session.write('v4.yaml', '_format_version: "4.0"\nservices: []\n');
    const cases: Array<[string[], string]> = [
      [['-f', v3, '--to', '3.12'], "error: option '--to <format>' argument '3.12' is invalid. --to 3.12: convert writes kong-gateway-3.x (a Kong 2.x file made a Kong 3.x one, the default) or 3.14 (the defaults Kong 3.14 made secure pinned to their old values)"],
      [['-f', v3, '--from', '3.4', '--to', '3.14'], "--from 3.4: convert reads kong-gateway-2.x"],
      [['-f', v3, '--from', '3.10'], 'kong-ctl: error: --from 3.10 goes with --to 3.14 (the defaults Kong 3.14 made secure pinned): a Kong 3.x file has nothing else to convert'],
      [['-f', v2, '--from', '3.10', '--to', '3.14'], `${v2}:1:18: error: _format_version: has _format_version "2.1": a Kong 2.x file (decK reads none as "1.1"), not the Kong 3.x one --from says; without --from, --to 3.14 converts it to "3.0" first`],
      [['-f', v4, '--to', '3.14'], `${v4}:1:18: error: _format_version: has _format_version "4.0": convert --to 3.14 reads decK files of Kong 3.x (_format_version "3.0") and of Kong 2.x ("1.1" or "2.1", or none)`],
      [['-f', v3, '--input-file', v3, '--to', '3.14'], 'convert takes one file: -f FILE (or -f - for stdin)'],
    ];
    for (const [args, message] of cases) {
      const out = join(session.dir(), 'never.yaml');
      const r = await runCli(['convert', ...args, '-o', out]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toContain(message);
      expect(existsSync(out), args.join(' ')).toBe(false);
    }
  });
});

/**
 * Kong's own declarative format lists targets, SNIs and credentials at the top of the file, each
 * naming its parent (`targets: [{upstream: up, target: …}]`), as a DB-less `kong.yml`,
 * `GET /config`, `kong config db_export` and `kong-ctl render` write them (Kong's
 * declarative_config.lua: the foreign key, required, looked up by the parent's endpoint key or
 * id). kong-ctl reads them as the same entities as decK's nested form.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadValidated } from '../../../cli/src/commands/desired';
import { buildEditorSchema } from '../../../cli/src/desired/editor-schema';
import { OFFLINE_SCHEMAS } from '../../../cli/src/desired/kong-entity-schemas';
import type { Entity } from '../../../cli/src/model/entity';
import type { Diagnostic } from '../../../cli/src/model/errors';
import { sample } from './helpers';

const CERT = (parse(readFileSync(sample('kong.yaml'), 'utf8')) as { certificates: Array<{ cert: string; key: string }> }).certificates[0];
const CERT_ID = '5e3b7f34-8f3a-4c52-9d35-61c2f0a6b0a1';
const CONSUMER_ID = '0fe87b4a-ce29-515a-88ec-8547e66550b9';
const indent = (s: string, n: number) => s.trimEnd().split('\n').join(`\n${' '.repeat(n)}`);

const HEAD = `_format_version: "3.0"
upstreams:
- name: up
certificates:
- id: ${CERT_ID}
  cert: |
    ${indent(CERT.cert, 4)}
  key: |
    ${indent(CERT.key, 4)}
`;

const NESTED = `_format_version: "3.0"
upstreams:
- name: up
  targets:
  - target: 10.0.0.1:8000
    weight: 50
certificates:
- id: ${CERT_ID}
  cert: |
    ${indent(CERT.cert, 4)}
  key: |
    ${indent(CERT.key, 4)}
  snis:
  - name: api.example.com
consumers:
- username: alice
  id: ${CONSUMER_ID}
  keyauth_credentials:
  - key: alice-key
  basicauth_credentials:
  - username: alice-basic
    password: s3cret
  hmacauth_credentials:
  - username: alice-hmac
    secret: hmac-secret
  jwt_secrets:
  - key: alice-iss
    secret: jwt-secret
  acls:
  - group: admins
  oauth2_credentials:
  - name: alice-app
    client_id: alice-client
    redirect_uris:
    - https://example.com/cb
`;

const FLAT = `${HEAD}consumers:
- username: alice
  id: ${CONSUMER_ID}
targets:
- upstream: up
  target: 10.0.0.1:8000
  weight: 50
snis:
- name: api.example.com
  certificate: ${CERT_ID}
keyauth_credentials:
- consumer: alice
  key: alice-key
basicauth_credentials:
- consumer: ${CONSUMER_ID}
  username: alice-basic
  password: s3cret
hmacauth_credentials:
- consumer: {id: ${CONSUMER_ID}}
  username: alice-hmac
  secret: hmac-secret
jwt_secrets:
- consumer: alice
  key: alice-iss
  secret: jwt-secret
acls:
- consumer: alice
  group: admins
oauth2_credentials:
- consumer: alice
  name: alice-app
  client_id: alice-client
  redirect_uris:
  - https://example.com/cb
`;

async function load(...texts: string[]) {
  const sources = texts.map((text, i) => ({ name: `f${i}.yaml`, text }));
  return loadValidated({ files: [], sources, env: {} });
}

const comparable = (e: Entity) => ({ kind: e.kind, key: e.key, label: e.label, fields: e.fields, refs: e.refs, id: e.id });
const byKey = (es: Entity[]) => es.map(comparable).sort((a, b) => a.key.localeCompare(b.key));
const brief = (d: Diagnostic) => `${d.source?.file}:${d.source?.line}:${d.source?.column} ${d.source?.path}: ${d.message}`;

describe("Kong's top-level lists of targets, SNIs and credentials", () => {
  it('load as the same entities as the nested form, each joining the parent it names by name, id or {id}', async () => {
    const nested = await load(NESTED);
    const flat = await load(FLAT);
    expect(nested.diagnostics.map(brief)).toEqual([]);
    expect(flat.diagnostics.map(brief)).toEqual([]);
    expect(byKey(flat.result.state.entities)).toEqual(byKey(nested.result.state.entities));
    expect(flat.result.state.entities.map((e) => e.kind).sort()).toEqual(
      ['acl', 'basicauth_credential', 'certificate', 'consumer', 'hmacauth_credential', 'jwt_secret', 'keyauth_credential', 'oauth2_credential', 'sni', 'target', 'upstream'].sort(),
    );
    // Each flat entity keeps its own place in the file.
    const target = flat.result.state.entities.find((e) => e.kind === 'target')!;
    expect(target.source).toMatchObject({ file: 'f0.yaml', path: 'targets[0]' });
    expect(target.refs).toEqual({ upstream: 'upstream:up' });
  });

  it('take their parent from another file, and mix with nested entities', async () => {
    const parents = `${HEAD}consumers:\n- username: alice\n  acls:\n  - group: readers\n`;
    const children = `_format_version: "3.0"
targets:
- upstream: up
  target: 10.0.0.2:8000
acls:
- consumer: alice
  group: admins
`;
    const r = await load(parents, children);
    expect(r.diagnostics.map(brief)).toEqual([]);
    const keys = r.result.state.entities.map((e) => e.key);
    expect(keys).toContain('target:up/10.0.0.2:8000');
    const acls = r.result.state.entities.filter((e) => e.kind === 'acl');
    expect(acls.map((e) => [e.fields.group, e.refs.consumer, e.source?.file])).toEqual([
      ['readers', 'consumer:alice', 'f0.yaml'],
      ['admins', 'consumer:alice', 'f1.yaml'],
    ]);
  });

  it('refuse an entry without its parent or naming none of the files, at its file:line:column', async () => {
    const r = await load(`${HEAD}targets:
- target: 10.0.0.1:8000
- upstream: nope
  target: 10.0.0.2:8000
- upstream: ~
  target: 10.0.0.3:8000
snis:
- name: api.example.com
  certificate: 00000000-0000-0000-0000-000000000000
keyauth_credentials:
- key: k
- consumer: bob
  key: k2
`);
    const l = HEAD.split('\n').length - 1; // lines of HEAD
    expect(r.errors).toBe(6);
    expect(r.diagnostics.map(brief)).toEqual([
      `f0.yaml:${l + 2}:3 targets[0]: upstream: required field missing: an entry of the top-level targets names its upstream (by name or id), or nests under it (upstreams[].targets)`,
      `f0.yaml:${l + 3}:13 targets[1]: upstream: unknown upstream 'nope': no upstream with this name or id in the file(s)`,
      `f0.yaml:${l + 5}:3 targets[2]: upstream: required field missing: an entry of the top-level targets names its upstream (by name or id), or nests under it (upstreams[].targets)`,
      `f0.yaml:${l + 9}:16 snis[0]: certificate: unknown certificate '00000000-0000-0000-0000-000000000000': no certificate with this name or id in the file(s)`,
      `f0.yaml:${l + 11}:3 keyauth_credentials[0]: consumer: required field missing: an entry of the top-level keyauth_credentials names its consumer (by username or id), or nests under it (consumers[].keyauth_credentials)`,
      `f0.yaml:${l + 12}:13 keyauth_credentials[1]: consumer: unknown consumer 'bob': no consumer with this name or id in the file(s)`,
    ]);
  });

  it('make the same entity written nested and at the top a duplicate', async () => {
    const r = await load(`${NESTED}targets:
- upstream: up
  target: 10.0.0.1:8000
keyauth_credentials:
- consumer: alice
  key: alice-key
`);
    const ds = r.diagnostics.map(brief);
    expect(r.errors).toBeGreaterThan(0);
    expect(ds.some((d) => /targets\[0\]: .*duplicate target/.test(d)), ds.join('\n')).toBe(true);
    expect(ds.some((d) => /keyauth_credentials\[0\]: .*duplicate/.test(d)), ds.join('\n')).toBe(true);
  });

  it('are in the editor schema (kong-ctl schema), each entry with its parent reference', () => {
    const input = { source: OFFLINE_SCHEMAS, pluginConfigs: {}, pluginNames: [], exactPlugins: false, vaultConfigs: {}, describes: 'test' };
    const schema = buildEditorSchema(input) as { properties: Record<string, unknown>; definitions: Record<string, { properties: Record<string, unknown> }> };
    for (const key of ['targets', 'snis', 'keyauth_credentials', 'basicauth_credentials', 'hmacauth_credentials', 'jwt_secrets', 'acls', 'oauth2_credentials'])
      expect(schema.properties[key], key).toBeDefined();
    expect(schema.definitions.target.properties.upstream).toBeDefined();
  });
});

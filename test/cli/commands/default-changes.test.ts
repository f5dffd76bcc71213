/**
 * A Kong upgrade that changes defaults (Kong 3.14: route `protocols` ["http","https"] → ["https"],
 * auth plugins' `hide_credentials` false → true) leaves entities created before it with the old
 * values. A file that never set those fields then plans to change them: the plan must say that
 * the new value is the node's default, not something written in the file, since applying it
 * breaks every plain-HTTP client. The node is the recorded 3.4.2 one with its /schemas/routes and
 * /schemas/plugins/key-auth answers edited the way a 3.14 node answers them; the live route and
 * plugin are the recorded ones (created with the old defaults).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';
import { ADMIN, liveNode } from './live-node';
import { nockSession } from './nock-session';
import { entitySchemas, exchange, pluginSchemas } from '../kong/fixtures';

const { write } = nockSession('kong-ctl-default-changes-', { unaskedAllowed: true });

/** The field `name` of a recorded schema's field list. */
function field(list: Array<Record<string, any>>, name: string): Record<string, any> {
  const entry = list.find((e) => name in e);
  if (!entry) throw new Error(`no field ${name}`);
  return entry[name];
}

/** A Kong 3.14 node: the recorded schemas with the new secure defaults, the recorded live entities. */
function upgradedNode(): void {
  const routes = structuredClone(entitySchemas().route);
  field(routes.fields, 'protocols').default = ['https'];
  const keyAuth = structuredClone(pluginSchemas()['key-auth']);
  field(field(keyAuth.fields, 'config').fields, 'hide_credentials').default = true;
  liveNode(
    {
      services: [exchange('055').response.body],
      routes: [exchange('064').response.body],
      plugins: [exchange('086').response.body],
    },
    {},
    { version: '3.14.0', entities: { route: routes }, plugins: { 'key-auth': keyAuth } },
  );
}

/** The file the recorded entities were created from (055, 064, 086), plus `route` and `plugin` lines. */
const file = (route = '', plugin = '') => `_format_version: "3.0"
services:
- name: orders
  url: http://127.0.0.1:9999/orders
  tags: [team-a]
  routes:
  - name: orders-api
    paths: ["/orders", "~/orders/\\\\d+$"]
    methods: [GET, POST]
    tags: [team-a]
${route}  plugins:
  - name: key-auth
    tags: [team-a]
${plugin}`;

const MARK = '(default: not in the file)';
const SUMMARY =
  "2 changes come from Kong's defaults, not from the files: set the fields in the files to keep the current values (kong-ctl dump shows them)";

async function diff(text: string, ...args: string[]) {
  upgradedNode();
  return runCli(['diff', '-f', write(`f${Math.random().toString(36).slice(2)}.yaml`, text), '--kong-addr', ADMIN, ...args]);
}

describe("diff against a node whose defaults changed since the entities were created", () => {
  it('text: the changes the file does not write are marked and counted', async () => {
    const r = await diff(file());
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toBe(
      [
        '~ route orders-api',
        `    protocols: ["http","https"] → ["https"]  ${MARK}`,
        '~ plugin key-auth (service orders)',
        `    config.hide_credentials: false → true  ${MARK}`,
        '',
        'Plan: 0 to add, 2 to change, 0 to destroy.',
        SUMMARY,
        '',
      ].join('\n'),
    );
  });

  it('text: the same values written in the file are changes like any other, unmarked', async () => {
    const r = await diff(file('    protocols: [https]\n', '    config:\n      hide_credentials: true\n'));
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toBe(
      [
        '~ route orders-api',
        '    protocols: ["http","https"] → ["https"]',
        '~ plugin key-auth (service orders)',
        '    config.hide_credentials: false → true',
        '',
        'Plan: 0 to add, 2 to change, 0 to destroy.',
        '',
      ].join('\n'),
    );
  });

  it('text: the old values written in the file keep the entities as they are', async () => {
    const r = await diff(file('    protocols: [http, https]\n', '    config:\n      hide_credentials: false\n'));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toBe('No changes.\n');
  });

  it('colour on a terminal, none with --no-color', async () => {
    const coloured = await runColoured([]);
    expect(coloured).toContain(`  \x1b[33m${MARK}\x1b[39m`);
    expect(coloured).toContain(`\x1b[33m${SUMMARY}\x1b[39m`);
    const plain = await runColoured(['--no-color']);
    expect(plain).not.toMatch(/\x1b\[/);
    expect(plain).toContain(`    protocols: ["http","https"] → ["https"]  ${MARK}\n`);
    expect(plain).toContain(`\n${SUMMARY}\n`);
  });

  it('json: from_default on each default-driven field change, at its nested path; the digest is the same as when written', async () => {
    const r = await diff(file(), '-o', 'json');
    expect(r.code, r.stderr).toBe(2);
    const plan = JSON.parse(r.stdout);
    expect(plan.format_version).toBe(1);
    expect(plan.changes.map((c: any) => c.field_changes)).toEqual([
      [{ path: 'protocols', before: ['http', 'https'], after: ['https'], from_default: true }],
      [{ path: 'config.hide_credentials', before: false, after: true, from_default: true }],
    ]);
    const written = JSON.parse((await diff(file('    protocols: [https]\n', '    config:\n      hide_credentials: true\n'), '-o', 'json')).stdout);
    expect(written.changes.flatMap((c: any) => c.field_changes)).toEqual([
      { path: 'protocols', before: ['http', 'https'], after: ['https'] },
      { path: 'config.hide_credentials', before: false, after: true },
    ]);
    // What Kong would be sent is the same: so is the plan's digest (apply --plan).
    expect(written.digest).toBe(plan.digest);
  });

  it('markdown: marked in the fenced plan, counted under it', async () => {
    const r = await diff(file(), '-o', 'markdown');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toContain(`\`\`\`diff\n~ route orders-api\n    protocols: ["http","https"] → ["https"]  ${MARK}\n`);
    expect(r.stdout).toContain(`    config.hide_credentials: false → true  ${MARK}\n\`\`\`\n`);
    expect(r.stdout).toContain(
      "\n\n2 changes come from Kong's defaults, not from the files: set the fields in the files to keep the current values (`kong-ctl dump` shows them).\n\nPlan digest `sha256:",
    );
  });
});

async function runColoured(args: string[]): Promise<string> {
  upgradedNode();
  const r = await runCli(['diff', '-f', write('coloured.yaml', file()), '--kong-addr', ADMIN, ...args], { tty: true });
  expect(r.code, r.stdout + r.stderr).toBe(2);
  return r.stdout;
}

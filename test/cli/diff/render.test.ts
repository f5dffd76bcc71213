import { describe, expect, it } from 'vitest';
import { computePlan } from '../../../cli/src/diff/compute';
import { renderPlanText } from '../../../cli/src/output/plan-text';
import { renderPlanJson } from '../../../cli/src/output/plan-json';
import { renderPlanMarkdown } from '../../../cli/src/output/plan-markdown';
import type { Plan } from '../../../cli/src/model/plan';
import { entity, exchange, kong342Schemas, live, withSecureDefaults } from './helpers';
import { planDigest } from '../../../cli/src/output/plan-digest';

const schemas = kong342Schemas();
const ORDERS = '675a0b3b-6d3a-4e1b-81d3-f2143684c19f';
const ROUTE = 'a709b6a1-f146-4c8b-afe6-d55f3f996641';
const keys = { [ORDERS]: 'service:orders', [ROUTE]: 'route:orders-api' };

/** One create, one update, one delete against the recorded Kong state. */
function mixedPlan(): Plan {
  const current = [
    live('service', exchange('055').response.body, keys),
    live('route', exchange('064').response.body, keys),
    live('plugin', exchange('087').response.body, keys),
  ];
  const desired = [
    entity('service', { name: 'orders', url: 'http://127.0.0.1:9999/orders', tags: ['team-a'] }),
    entity('route', { name: 'orders-api', paths: ['/orders', '/orders/v2'], methods: ['GET', 'POST'], tags: ['team-a'] }, { service: 'service:orders' }, {
      source: { file: 'kong.yaml', line: 7, column: 7, path: 'services[0].routes[0]' },
    }),
    entity('plugin', { name: 'rate-limiting', config: { minute: 100, redis_password: 'hunter2' } }, { route: 'route:orders-api' }, {
      masked: ['config.redis_password'],
      source: { file: 'kong.yaml', line: 12, column: 11, path: 'services[0].routes[0].plugins[0]' },
    }),
  ];
  return computePlan({ entities: desired }, { entities: current }, schemas);
}

/** mixedPlan() as the text plan prints it, before the summary line (the Markdown plan fences the same lines). */
const MIXED_PLAN_LINES = [
  '~ route orders-api',
  '    paths: ["/orders","~/orders/\\\\d+$"] → ["/orders","/orders/v2"]',
  '+ plugin rate-limiting (route orders-api)',
  '    name: "rate-limiting"',
  '    config.minute: 100',
  '    config.redis_password: [masked]',
  '    route: route:orders-api',
  '- plugin cors (route orders-api)',
];

describe('renderPlanText', () => {
  it('prints +, ~ and - blocks with only what matters, then the summary', () => {
    expect(renderPlanText(mixedPlan(), { color: false, secrets: [] })).toBe(
      [
        ...MIXED_PLAN_LINES,
        '',
        'Plan: 1 to add, 1 to change, 1 to destroy.',
        '',
      ].join('\n'),
    );
  });

  it('says No changes. for an empty plan', () => {
    expect(renderPlanText({ changes: [] }, { color: true, secrets: [] })).toBe('No changes.\n');
  });

  it('colours the signs only when asked', () => {
    const plain = renderPlanText(mixedPlan(), { color: false, secrets: [] });
    expect(plain).not.toMatch(/\x1b\[/);
    const coloured = renderPlanText(mixedPlan(), { color: true, secrets: [] });
    expect(coloured).toContain('\x1b[32m+\x1b[39m plugin rate-limiting');
    expect(coloured).toContain('\x1b[33m~\x1b[39m route orders-api');
    expect(coloured).toContain('\x1b[31m-\x1b[39m plugin cors');
  });

  it('masks any value containing a secret, wherever it is', () => {
    const text = renderPlanText(mixedPlan(), { color: false, secrets: ['orders/v2', ''] });
    expect(text).toContain('    paths: ["/orders","~/orders/\\\\d+$"] → [masked]');
    expect(text).not.toContain('orders/v2');
    expect(text).toContain('    config.minute: 100');
  });

  it('prints everything with mask: false (--no-mask)', () => {
    const text = renderPlanText(mixedPlan(), { color: false, secrets: ['orders/v2'], mask: false });
    expect(text).toContain('    config.redis_password: "hunter2"');
    expect(text).toContain('["/orders","/orders/v2"]');
    expect(text).not.toContain('[masked]');
  });

  it('prints foreign-key changes as keys', () => {
    const current = [live('route', exchange('064').response.body, keys)];
    const desired = [entity('route', { name: 'orders-api', paths: ['/orders', '~/orders/\\d+$'], methods: ['GET', 'POST'], tags: ['team-a'] }, { service: 'service:billing' })];
    const text = renderPlanText(computePlan({ entities: desired }, { entities: current }, schemas), { color: false, secrets: [] });
    expect(text).toBe('~ route orders-api\n    service: service:orders → service:billing\n\nPlan: 0 to add, 1 to change, 0 to destroy.\n');
  });
});

describe('renderPlanJson', () => {
  it('follows the documented schema, secrets masked', () => {
    const json = renderPlanJson(mixedPlan(), { secrets: [] });
    expect(json.format_version).toBe(1);
    expect(json.summary).toEqual({ add: 1, change: 1, destroy: 1 });
    expect(json.changes.map((c) => c.op)).toEqual(['update', 'create', 'delete']);
    const [update, create, del] = json.changes;
    expect(update).toEqual({
      op: 'update',
      kind: 'route',
      key: 'route:orders-api',
      label: 'route orders-api',
      id: ROUTE,
      source: { file: 'kong.yaml', line: 7, column: 7, path: 'services[0].routes[0]' },
      field_changes: [{ path: 'paths', before: ['/orders', '~/orders/\\d+$'], after: ['/orders', '/orders/v2'] }],
    });
    expect(create).toMatchObject({
      op: 'create',
      kind: 'plugin',
      key: 'plugin:rate-limiting@route=orders-api',
      label: 'plugin rate-limiting (route orders-api)',
      source: { file: 'kong.yaml', line: 12, column: 11, path: 'services[0].routes[0].plugins[0]' },
      refs: { route: 'route:orders-api' },
    });
    expect(create).not.toHaveProperty('id');
    expect(create).not.toHaveProperty('field_changes');
    expect(create.fields).toMatchObject({ name: 'rate-limiting', enabled: true, config: { minute: 100, redis_password: '[masked]', redis_port: 6379 } });
    expect(del).toEqual({ op: 'delete', kind: 'plugin', key: 'plugin:cors@route=orders-api', label: 'plugin cors (route orders-api)', id: 'a6bc967d-8e38-41b5-a4b5-f92e8f3c9699' });
    expect(JSON.stringify(json)).not.toContain('hunter2');
  });

  it('masks secret-bearing values and flags the change', () => {
    const json = renderPlanJson(mixedPlan(), { secrets: ['/orders/v2'] });
    expect(json.changes[0].field_changes).toEqual([{ path: 'paths', before: ['/orders', '~/orders/\\d+$'], after: '[masked]', masked: true }]);
  });

  it('hides write-only values of a create (basic-auth password)', () => {
    const cred = entity('basicauth_credential', { username: 'u', password: 'plain-password' }, { consumer: 'consumer:alice' });
    const p = computePlan({ entities: [cred] }, { entities: [] }, schemas);
    expect(renderPlanJson(p, { secrets: [] }).changes[0].fields).toMatchObject({ username: 'u', password: '[masked]' });
    expect(renderPlanText(p, { color: false, secrets: [] })).toBe(
      '+ basic-auth credential u (consumer alice)\n    username: "u"\n    password: [masked]\n    consumer: consumer:alice\n\nPlan: 1 to add, 0 to change, 0 to destroy.\n',
    );
  });

  it('masks a number only when it is a secret, and a short secret only where it stands alone (decK: Test_Diff_Masking_ExactValueMatch)', () => {
    const json = renderPlanJson(mixedPlan(), { secrets: ['0', '100', '2'] });
    const config = json.changes[1].fields?.config as Record<string, unknown>;
    expect(config).toMatchObject({ minute: '[masked]', redis_timeout: 2000, redis_port: 6379, error_code: 429 });
    expect(json.changes[0].field_changes).toEqual([{ path: 'paths', before: ['/orders', '~/orders/\\d+$'], after: ['/orders', '/orders/v2'] }]);
    const text = renderPlanText(mixedPlan(), { color: false, secrets: ['0', '100', '2'] });
    expect(text).toContain('    config.minute: [masked]');
    expect(text).toContain('→ ["/orders","/orders/v2"]');
  });

  it('leaves values as they are with mask: false (--no-mask)', () => {
    const json = renderPlanJson(mixedPlan(), { secrets: ['/orders/v2'], mask: false });
    expect(json.changes[0].field_changes?.[0]).toEqual({ path: 'paths', before: ['/orders', '~/orders/\\d+$'], after: ['/orders', '/orders/v2'] });
    expect((json.changes[1].fields?.config as Record<string, unknown>).redis_password).toBe('hunter2');
  });

  it('an empty plan', () => {
    expect(renderPlanJson({ changes: [] }, { secrets: [] })).toEqual({ format_version: 1, summary: { add: 0, change: 0, destroy: 0 }, changes: [] });
  });
});

describe('renderPlanMarkdown', () => {
  const target = 'Kong 3.4.2 at http://kong:8001';

  it('heads the comment with the counts and the gateway, and fences the plan as a diff', () => {
    expect(renderPlanMarkdown(mixedPlan(), { target, secrets: [] })).toBe(
      [
        '### kong-ctl: 1 to add, 1 to change, 1 to destroy',
        '',
        'Against Kong 3.4.2 at http://kong:8001.',
        '',
        '```diff',
        ...MIXED_PLAN_LINES,
        '```',
        '',
      ].join('\n'),
    );
  });

  it("ends with the plan's digest when given, for apply --plan", () => {
    const md = renderPlanMarkdown(mixedPlan(), { target, secrets: [], digest: `sha256:${'ab'.repeat(32)}` });
    expect(md.endsWith(`\`\`\`\n\nPlan digest \`sha256:${'ab'.repeat(32)}\` (\`kong-ctl apply --plan\` applies this plan and no other).\n`)).toBe(true);
  });

  it('says there is nothing to do, and how many live entities --no-deletes kept', () => {
    expect(renderPlanMarkdown({ changes: [] }, { target, secrets: [], kept: 3 })).toBe(
      '### kong-ctl: no changes\n\nAgainst Kong 3.4.2 at http://kong:8001.\n\n3 live entities the files do not name kept (`--no-deletes`).\n',
    );
  });

  it('folds a long plan, and no value can close the fence early', () => {
    const plan = mixedPlan();
    const many = { changes: Array.from({ length: 30 }, () => plan.changes).flat() };
    const folded = renderPlanMarkdown(many, { target, secrets: [] });
    expect(folded).toContain('<details><summary>90 changes</summary>\n\n```diff\n');
    expect(folded.endsWith('```\n\n</details>\n')).toBe(true);

    const ticks = computePlan(
      { entities: [entity('service', { name: 'orders', host: 'a```b', tags: ['x'] })] },
      { entities: [] },
      schemas,
    );
    const md = renderPlanMarkdown(ticks, { target, secrets: [] });
    expect(md).toContain('````diff\n');
    expect(md).toContain('host: "a```b"');
  });
});

/**
 * Against a node whose defaults changed (withSecureDefaults: Kong 3.14's route protocols and
 * key-auth hide_credentials), entities created before: the route's protocols and the plugin's
 * hide_credentials come from the node; config.key_names from the file.
 */
function defaultsPlan(routeFields: Record<string, unknown> = {}): Plan {
  const current = [live('route', exchange('064').response.body, keys), live('plugin', exchange('086').response.body, keys)];
  const desired = [
    entity('route', { name: 'orders-api', paths: ['/orders', '~/orders/\\d+$'], methods: ['GET', 'POST'], tags: ['team-a'], ...routeFields }, { service: 'service:orders' }),
    entity('plugin', { name: 'key-auth', config: { key_names: ['apikey', 'x-api-key'] }, tags: ['team-a'] }, { service: 'service:orders' }),
  ];
  return computePlan({ entities: desired }, { entities: current }, withSecureDefaults(schemas));
}

const DEFAULTS_PLAN_LINES = [
  '~ route orders-api',
  '    protocols: ["http","https"] → ["https"]  (default: not in the file)',
  '~ plugin key-auth (service orders)',
  '    config.key_names: ["apikey"] → ["apikey","x-api-key"]',
  '    config.hide_credentials: false → true  (default: not in the file)',
];

describe("changes that come from the node's defaults", () => {
  it('text: marks them, and counts them under the plan', () => {
    expect(renderPlanText(defaultsPlan(), { color: false, secrets: [] })).toBe(
      [
        ...DEFAULTS_PLAN_LINES,
        '',
        'Plan: 0 to add, 2 to change, 0 to destroy.',
        "2 changes come from Kong's defaults, not from the files: set the fields in the files to keep the current values (kong-ctl dump shows them)",
        '',
      ].join('\n'),
    );
  });

  it('text: the same change written in the file is not marked, and one default is one change', () => {
    const text = renderPlanText(defaultsPlan({ protocols: ['https'] }), { color: false, secrets: [] });
    expect(text).toContain('    protocols: ["http","https"] → ["https"]\n');
    expect(text).toContain('    config.hide_credentials: false → true  (default: not in the file)\n');
    expect(text.endsWith(
      "Plan: 0 to add, 2 to change, 0 to destroy.\n1 change comes from Kong's defaults, not from the files: set the field in the files to keep the current value (kong-ctl dump shows it)\n",
    )).toBe(true);
    expect(renderPlanText(mixedPlan(), { color: false, secrets: [] })).not.toMatch(/default/);
  });

  it('text: the mark and the line are coloured like the signs, and plain without colour', () => {
    const coloured = renderPlanText(defaultsPlan(), { color: true, secrets: [] });
    expect(coloured).toContain('    protocols: ["http","https"] → ["https"]  \x1b[33m(default: not in the file)\x1b[39m\n');
    expect(coloured).toContain("\x1b[33m2 changes come from Kong's defaults, not from the files");
    expect(renderPlanText(defaultsPlan(), { color: false, secrets: [] })).not.toMatch(/\x1b\[/);
  });

  it('markdown: marked in the fenced plan, counted under it', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect(renderPlanMarkdown(defaultsPlan(), { target: 'Kong 3.14.0 at http://kong:8001', secrets: [], digest })).toBe(
      [
        '### kong-ctl: 0 to add, 2 to change, 0 to destroy',
        '',
        'Against Kong 3.14.0 at http://kong:8001.',
        '',
        '```diff',
        ...DEFAULTS_PLAN_LINES,
        '```',
        '',
        "2 changes come from Kong's defaults, not from the files: set the fields in the files to keep the current values (`kong-ctl dump` shows them).",
        '',
        `Plan digest \`${digest}\` (\`kong-ctl apply --plan\` applies this plan and no other).`,
        '',
      ].join('\n'),
    );
  });

  it('json: from_default on the marked field changes only', () => {
    const [route, plugin] = renderPlanJson(defaultsPlan(), { secrets: [] }).changes;
    expect(route.field_changes).toEqual([{ path: 'protocols', before: ['http', 'https'], after: ['https'], from_default: true }]);
    expect(plugin.field_changes).toEqual([
      { path: 'config.key_names', before: ['apikey'], after: ['apikey', 'x-api-key'] },
      { path: 'config.hide_credentials', before: false, after: true, from_default: true },
    ]);
    expect(renderPlanJson(defaultsPlan({ protocols: ['https'] }), { secrets: [] }).changes[0].field_changes).toEqual([
      { path: 'protocols', before: ['http', 'https'], after: ['https'] },
    ]);
  });

  it('the digest is over what Kong is sent: the same whether a value is the default or written', () => {
    const fromDefault = defaultsPlan();
    const written = defaultsPlan({ protocols: ['https'] });
    expect(renderPlanJson(fromDefault, { secrets: [] })).not.toEqual(renderPlanJson(written, { secrets: [] }));
    expect(planDigest(fromDefault)).toBe(planDigest(written));
    // ...and a different change is a different digest.
    expect(planDigest(defaultsPlan({ protocols: ['http'] }))).not.toBe(planDigest(fromDefault));
  });

  it('the digest is the one kong-ctl gave this plan before the mark existed: a saved plan still applies', () => {
    // Computed by kong-ctl at 921b846, before from_default.
    expect(planDigest(defaultsPlan())).toBe('sha256:2b47430f88a566455aaf640ca8474b225a438b05176792ff9c57c1ee45bb3a7a');
  });
});

describe('a replacement (an update no order of writes can make: diff/replacements.ts)', () => {
  const [P0, P1] = ['3a0e0000-0000-4000-8000-0000000000a0', '3a0e0000-0000-4000-8000-0000000000a1'];
  const svcs = [entity('service', { name: 'a', host: 'a.internal' }, {}, { id: ORDERS }), entity('service', { name: 'b', host: 'b.internal' }, {}, { id: ROUTE })];
  const cors = (id: string, svc: string) => entity('plugin', { name: 'cors', config: {} }, { service: `service:${svc}` }, { id });
  function swapPlan(): Plan {
    const current = computePlan({ entities: [...svcs, cors(P0, 'a'), cors(P1, 'b')] }, { entities: [] }, schemas).changes.map((c) => c.desired!);
    return computePlan({ entities: [...svcs, cors(P1, 'a'), cors(P0, 'b')] }, { entities: current }, schemas);
  }

  it('text: says under the delete and the create that the entity is created again with its id, and why', () => {
    const text = renderPlanText(swapPlan(), { color: false, secrets: [] });
    const why = 'the update of plugin cors \\(service b\\) \\(id 3a0e0000-0000-4000-8000-0000000000a0\\) takes the place of a cors plugin at that scope \\(one per scope\\) from it, in a cycle no order of updates can make';
    expect(text).toMatch(new RegExp(`^\\+ plugin cors \\(service a\\)\\n    \\(replaces the live one with id ${P1}, deleted first: ${why}\\)\\n    name: "cors"`, 'm'));
    expect(text).toMatch(new RegExp(`^- plugin cors \\(service b\\)\\n    \\(replaced: created again with its id ${P1}: ${why}\\)$`, 'm'));
    expect(text).toContain('Plan: 1 to add, 1 to change, 1 to destroy.');
  });

  it('json: both halves carry it; the digest is over the ops and ids, not the words', () => {
    const plan = swapPlan();
    const json = renderPlanJson(plan, { secrets: [] });
    const halves = json.changes.filter((c) => c.replacement);
    expect(halves.map((c) => [c.op, c.id, c.replacement!.id])).toEqual([
      ['create', P1, P1],
      ['delete', P1, P1],
    ]);
    const reworded = { changes: plan.changes.map((c) => (c.replacement ? { ...c, replacement: { ...c.replacement, reason: 'other words' } } : c)) };
    expect(planDigest(reworded)).toBe(planDigest(plan));
  });
});

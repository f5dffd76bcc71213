import { describe, expect, it } from 'vitest';
import { computePlan } from '../../../cli/src/diff/compute';
import { renderPlanText } from '../../../cli/src/output/plan-text';
import { renderPlanJson } from '../../../cli/src/output/plan-json';
import { renderPlanMarkdown } from '../../../cli/src/output/plan-markdown';
import type { Plan } from '../../../cli/src/model/plan';
import { entity, exchange, kong342Schemas, live } from './helpers';

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

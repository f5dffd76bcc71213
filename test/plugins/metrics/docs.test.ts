/**
 * docs/metrics.md against the code: every metric the server and the plugins register is
 * documented with its type and labels, nothing documented is missing from the code, and the
 * Prometheus YAML (compose override, scrape config, alert rules) parses and names real metrics.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../harness';
import { circuitBreakerMetrics, idempotencyMetrics, jwtClaimsMetrics, metricsRegistry, webhookMetrics } from '../../../plugins/shared/metrics';
import { ServerMetrics } from '../../../plugins/server/metrics';

const DOC = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'metrics.md'), 'utf8');

interface Registered {
  name: string;
  type: string;
  labelNames: string[];
}

function registered(): Map<string, Registered> {
  const server = new Registry();
  new ServerMetrics(server, []);
  jwtClaimsMetrics();
  idempotencyMetrics();
  webhookMetrics();
  circuitBreakerMetrics();
  const all = [...server.getMetricsAsArray(), ...metricsRegistry().getMetricsAsArray()] as unknown as Array<{ name: string; type: string; labelNames: string[] }>;
  return new Map(all.map((m) => [m.name, { name: m.name, type: m.type, labelNames: [...m.labelNames].sort() }]));
}

/** The rows of the metric tables: | `name` | type | `a`, `b` | meaning | */
function documented(): Map<string, Registered> {
  const rows = new Map<string, Registered>();
  for (const line of DOC.split('\n')) {
    const m = /^\| `(kong_js_[a-z_]+)` \| (\w+) \|([^|]*)\|/.exec(line);
    if (!m) continue;
    const labels = [...m[3]!.matchAll(/`([a-z_]+)`/g)].map((l) => l[1]!).sort();
    rows.set(m[1]!, { name: m[1]!, type: m[2]!, labelNames: labels });
  }
  return rows;
}

function yamlBlocks(): unknown[] {
  return [...DOC.matchAll(/```yaml\n([\s\S]*?)```/g)].map((b) => parse(b[1]!) as unknown);
}

/** `kong_js_…` names in a PromQL text, histogram series folded into their metric. */
function metricNames(promql: string): string[] {
  return [...promql.matchAll(/kong_js_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

describe('docs/metrics.md', () => {
  it('documents every registered metric, with its type and labels, and nothing else', () => {
    const code = registered();
    const doc = documented();
    expect([...doc.keys()].sort()).toEqual([...code.keys()].sort());
    for (const [name, m] of code) expect(doc.get(name), name).toEqual(m);
  });

  it('holds a compose override, a scrape config for the four plugin servers, and the two alerts', () => {
    const blocks = yamlBlocks() as Array<Record<string, unknown>>;
    const compose = blocks.find((b) => b.services) as { services: Record<string, { network_mode?: string }> };
    expect(compose.services.prometheus!.network_mode).toBe('service:kong');
    const scrape = blocks.find((b) => b.scrape_configs) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
    expect(scrape.scrape_configs[0]!.static_configs.flatMap((c) => c.targets)).toEqual(['127.0.0.1:9541', '127.0.0.1:9542', '127.0.0.1:9543', '127.0.0.1:9544']);
    const rules = (blocks.find((b) => b.groups) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(['WebhookVolumeDrop', 'CircuitBreakerOpen']);
    expect(rules[0]!.expr).toContain('rate(kong_js_webhook_verified_total[15m] offset 1d)');
    expect(rules[1]!.expr).toContain('kong_js_circuit_breaker_state{state="open"}');
  });

  it('names only real metrics in its queries and rules', () => {
    const code = registered();
    const names = metricNames(DOC.replace(/^\| `kong_js_[^\n]*$/gm, ''));
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(code.has(name), name).toBe(true);
  });
});

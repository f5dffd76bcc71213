/**
 * `kong-ctl file lint`: decK's `deck file lint` (flags, the plain/json/yaml report, exit codes)
 * with Spectral's rulesets and core functions, every result at the line and column of the node
 * it is about, and every ruleset problem refused at its file:line before anything is linted.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { KongCtlError } from '../../../cli/src/model/errors';
import { parseDeckDocument } from '../../../cli/src/file-ops/document';
import { FUNCTIONS, OptionsError } from '../../../cli/src/file-ops/lint/functions';
import { parseRuleset } from '../../../cli/src/file-ops/lint/ruleset';
import { lintDocument, type LintResult } from '../../../cli/src/file-ops/lint/run';
import { nockSession } from '../commands/nock-session';
import { runCli } from '../commands/run-cli';

const session = nockSession('kong-ctl-lint-');
const ROOT = join(__dirname, '..', '..', '..');

// decK's own lint test (tests/integration/testdata/lint/001-simple-lint).
const DECK_STATE = `_format_version: "3.0"
services:
- name: svc1
  host: mockbin.org
  protocol: http
  routes:
  - name: r1
    paths:
    - /r1
`;
const DECK_RULESET = `rules:
  version-30:
    description: "Check the version is correct"
    given: $._format_version
    severity: error
    then:
      function: pattern
      functionOptions:
        match: "^1.1$"
  https-only:
    description: "Must use HTTPS protocol"
    given: $.services[*].protocol
    severity: warn
    then:
      function: pattern
      functionOptions:
        match: "^https"
`;

/** A ruleset of the rules given (as data), as YAML text. */
function rulesetText(rules: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return stringify({ ...extra, rules });
}

function lint(rules: Record<string, unknown> | string, state: string): LintResult[] {
  const text = typeof rules === 'string' ? rules : rulesetText(rules);
  return lintDocument(parseDeckDocument({ name: 'kong.yaml', text: state }), parseRuleset({ name: 'rules.yaml', text }));
}

/** The error a ruleset is refused with. */
function refusal(rules: Record<string, unknown> | string, extra: Record<string, unknown> = {}): KongCtlError {
  const text = typeof rules === 'string' ? rules : rulesetText(rules, extra);
  try {
    parseRuleset({ name: 'rules.yaml', text });
  } catch (err) {
    expect(err).toBeInstanceOf(KongCtlError);
    return err as KongCtlError;
  }
  throw new Error('the ruleset was accepted');
}

/** One function on one value, as a rule's then runs it. */
function run(name: string, options: unknown, value: unknown, property: string | number | null = 'p', text?: string): string[] {
  const fn = FUNCTIONS[name];
  return (fn.run(value, fn.prepare(options), { property: property ?? undefined, text: () => text }) ?? []).map((r) => r.message);
}

function optionsProblem(name: string, options: unknown): OptionsError {
  try {
    FUNCTIONS[name].prepare(options);
  } catch (err) {
    expect(err).toBeInstanceOf(OptionsError);
    return err as OptionsError;
  }
  throw new Error(`${name} took ${JSON.stringify(options)}`);
}

describe("kong-ctl file lint: decK's command and report", () => {
  it("prints decK's plain report, each result with file:line:column, and exits 1 on an error", async () => {
    const rules = session.write('deck-rules.yaml', DECK_RULESET);
    const r = await runCli(['file', 'lint', '-s', session.write('deck.yaml', DECK_STATE), rules]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const file = join(session.dir(), 'deck.yaml');
    expect(r.stdout).toBe(`Linting Violations: 2
Failures: 1

[error][${file}:1:18] Check the version is correct: \`3.0\` does not match the expression \`^1.1$\`
[warn][${file}:5:13] Must use HTTPS protocol: \`http\` does not match the expression \`^https\`
`);
  });

  it("writes decK's json report: total_count, fail_count, results with decK's keys (and the rule)", async () => {
    const r = await runCli(['file', 'lint', '--format', 'json', session.write('deck-rules.yaml', DECK_RULESET)], { stdin: DECK_STATE });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      fail_count: 1,
      results: [
        {
          Message: 'Check the version is correct: `3.0` does not match the expression `^1.1$`',
          Severity: 'error',
          Line: 1,
          Column: 18,
          Character: 0,
          Path: '$._format_version',
          Rule: 'version-30',
        },
        {
          Message: 'Must use HTTPS protocol: `http` does not match the expression `^https`',
          Severity: 'warn',
          Line: 5,
          Column: 13,
          Character: 0,
          Path: '$.services[*].protocol',
          Rule: 'https-only',
        },
      ],
      total_count: 2,
    });
    // Go's order: the map's keys sorted, the struct's fields as declared.
    expect(r.stdout.indexOf('"fail_count"')).toBeLessThan(r.stdout.indexOf('"results"'));
    expect(r.stdout.indexOf('"Message"')).toBeLessThan(r.stdout.indexOf('"Severity"'));
  });

  it("writes decK's yaml report (keys sorted, as Go writes them), with -D showing only failures", async () => {
    const rules = session.write('deck-rules.yaml', DECK_RULESET);
    const all = await runCli(['file', 'lint', '--format', 'YAML', rules], { stdin: DECK_STATE });
    expect(all.code).toBe(1);
    expect(all.stdout).toBe(`fail_count: 1
results:
- Character: 0
  Column: 18
  Line: 1
  Message: 'Check the version is correct: \`3.0\` does not match the expression \`^1.1$\`'
  Path: $._format_version
  Rule: version-30
  Severity: error
- Character: 0
  Column: 13
  Line: 5
  Message: 'Must use HTTPS protocol: \`http\` does not match the expression \`^https\`'
  Path: $.services[*].protocol
  Rule: https-only
  Severity: warn
total_count: 2
`);
    const failures = await runCli(['file', 'lint', '--format', 'yaml', '--display-only-failures', '--fail-severity', 'error', rules], { stdin: DECK_STATE });
    expect(failures.code).toBe(1);
    expect(parse(failures.stdout)).toMatchObject({ fail_count: 1, total_count: 1, results: [{ Rule: 'version-30' }] });
  });

  it('fails at or above --fail-severity only: warnings pass by default, -F warn fails them', async () => {
    const rules = session.write('warn-only.yaml', DECK_RULESET.replace('severity: error', 'severity: info'));
    const byDefault = await runCli(['file', 'lint', '--format', 'json', rules], { stdin: DECK_STATE });
    expect(byDefault.code).toBe(0);
    expect(JSON.parse(byDefault.stdout)).toMatchObject({ total_count: 2, fail_count: 0 });
    const warn = await runCli(['file', 'lint', '-F', 'warn', '--format', 'json', rules], { stdin: DECK_STATE });
    expect(warn.code).toBe(1);
    expect(JSON.parse(warn.stdout)).toMatchObject({ total_count: 2, fail_count: 1 });
    const hint = await runCli(['file', 'lint', '-F', 'hint', rules], { stdin: DECK_STATE });
    expect(hint.code).toBe(1);
    expect(hint.stdout).toContain('Linting Violations: 2\nFailures: 2\n');
    // -D leaves out, and does not count, what is below the fail severity.
    const onlyFailures = await runCli(['file', 'lint', '-D', '-F', 'warn', '--format', 'json', rules], { stdin: DECK_STATE });
    expect(JSON.parse(onlyFailures.stdout)).toMatchObject({ total_count: 1, fail_count: 1, results: [{ Severity: 'warn' }] });
    const nothingFails = await runCli(['file', 'lint', '-D', rules], { stdin: DECK_STATE });
    expect(nothingFails.code).toBe(0);
    expect(nothingFails.stdout).toBe('');
  });

  it('prints nothing and exits 0 when the file breaks no rule; -o writes the report to a file', async () => {
    const rules = session.write('clean-rules.yaml', DECK_RULESET.replace('^1.1$', '^3.0$').replace('^https', '^http'));
    const clean = await runCli(['file', 'lint', rules], { stdin: DECK_STATE });
    expect(clean).toEqual({ code: 0, stdout: '', stderr: '' });
    const out = join(session.dir(), 'report.json');
    const written = await runCli(['file', 'lint', '--format', 'json', '-o', out, session.write('deck-rules.yaml', DECK_RULESET)], { stdin: DECK_STATE });
    expect(written.code).toBe(1);
    expect(written.stdout).toBe('');
    expect(written.stderr).toBe(`Linted <stdin>: 2 violations, 1 failure. Wrote ${out}.\n`);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ total_count: 2, fail_count: 1 });
  });

  it('reads the decK file from -f, the other file commands\' spelling of -s, and refuses both at once', async () => {
    const rules = session.write('deck-rules.yaml', DECK_RULESET);
    const state = session.write('deck.yaml', DECK_STATE);
    const r = await runCli(['file', 'lint', '-f', state, '--format', 'json', rules]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ total_count: 2 });
    const both = await runCli(['file', 'lint', '-f', state, '-s', state, rules]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('--state and --file are the same option');
  });

  it('refuses formats and severities decK does not have', async () => {
    const rules = session.write('deck-rules.yaml', DECK_RULESET);
    const format = await runCli(['file', 'lint', '--format', 'xml', rules], { stdin: DECK_STATE });
    expect(format.code).toBe(1);
    expect(format.stderr).toContain('--format must be plain, json or yaml');
    const severity = await runCli(['file', 'lint', '-F', 'fatal', rules], { stdin: DECK_STATE });
    expect(severity.code).toBe(1);
    expect(severity.stderr).toContain('--fail-severity must be error, warn, info or hint');
  });

  it('passes kong/kong.yaml with the example ruleset, whose rules do catch what they are about', async () => {
    const ruleset = join(ROOT, 'kong', 'lint-ruleset.yaml');
    const ok = await runCli(['file', 'lint', '-s', join(ROOT, 'kong', 'kong.yaml'), ruleset]);
    expect(ok).toEqual({ code: 0, stdout: '', stderr: '' });

    const original = readFileSync(join(ROOT, 'kong', 'kong.yaml'), 'utf8');
    const broken = original
      .replace('  select_tags: [kong-ctl-example]\n', '')
      .replace('- name: echo\n  url: http://echo:80\n', '- name: Echo\n  url: http://echo:80\n  host: echo\n')
      .replace('paths: [/payments]', 'paths: [payments]')
      .replace('methods: [POST]', 'methods: [post]')
      .replace('${{ env "DECK_WEBHOOK_SECRET" }}', 'whsec_inline')
      .replace('  - name: circuit-breaker', '  - name: rate-limiting')
      .replace('_format_version: "3.0"', '_format_version: "3.1"')
      .replace('  - name: webhooks\n', '  - protocols: [https]\n')
      .replace('    paths: [/orders]\n', '')
      .replace('- username: orders-dashboard', '- tags: [dashboard]');
    expect(broken).not.toBe(original);
    const r = await runCli(['file', 'lint', '-F', 'warn', '--format', 'json', '-s', session.write('broken-kong.yaml', broken), ruleset]);
    expect(r.code).toBe(1);
    const rules = (JSON.parse(r.stdout) as { results: Array<{ Rule: string }> }).results.map((x) => x.Rule);
    expect(rules.sort()).toEqual(
      [
        'consumers-identified',
        'format-version-3',
        'kebab-case-names',
        'owned-by-select-tags',
        'routes-match-something',
        'routes-named',
        'route-methods',
        'route-paths',
        'service-url-or-host',
        'services-have-a-circuit-breaker',
        'webhook-secrets-from-environment',
      ].sort(),
    );
  });
});

describe('kong-ctl file lint: rules, given and field', () => {
  const STATE = `_format_version: "3.0"
services:
- name: orders
  url: http://orders:8080
  tags: [team-a]
  plugins:
  - name: rate-limiting
    config: { minute: 10 }
  routes:
  - name: orders-route
    paths: [/orders]
    plugins:
    - name: rate-limiting
      config: { minute: 5 }
- name: billing
  host: billing
  routes:
  - name: Billing_Route
    paths: [/billing]
`;

  it('selects with filters, in RFC 9535 and in the jsonpath-plus spelling (===) Spectral rulesets use', () => {
    for (const given of ["$..plugins[?(@.name == 'rate-limiting')]", "$..plugins[?(@.name === 'rate-limiting')]"]) {
      const results = lint({ rl: { given, severity: 'error', then: { field: 'config.minute', function: 'length', functionOptions: { max: 8 } } } }, STATE);
      expect(results, given).toEqual([
        { rule: 'rl', severity: 'error', message: '`minute` property must not be greater than 8 (is 10)', given, line: 8, column: 23 },
      ]);
    }
  });

  it('takes a list of givens, reporting each with its own expression', () => {
    const results = lint({ names: { given: ['$.services[*].name', '$..routes[*].name'], then: { function: 'casing', functionOptions: { type: 'kebab' } } } }, STATE);
    expect(results).toEqual([{ rule: 'names', severity: 'warn', message: '`Billing_Route` must be kebab case', given: '$..routes[*].name', line: 18, column: 11 }]);
  });

  it('reports a missing field at the node that lacks it, and a field picked by a dotted path at its value', () => {
    const results = lint({ tagged: { description: 'Services have tags', given: '$.services[*]', severity: 'error', then: { field: 'tags', function: 'truthy' } } }, STATE);
    expect(results.map((r) => [r.message, r.line, r.column])).toEqual([['Services have tags: `tags` property must be truthy', 15, 3]]);
    const dotted = lint({ first: { given: '$.services[0]', then: { field: 'routes[0].paths.0', function: 'pattern', functionOptions: { match: '^/api' } } } }, STATE);
    expect(dotted.map((r) => [r.message, r.line, r.column])).toEqual([['`/orders` does not match the expression `^/api`', 11, 13]]);
  });

  it('checks property names with field @key (reported at the key) and with a trailing ~ in given', () => {
    const byKey = lint({ keys: { given: '$.services[*].plugins[*].config', then: { field: '@key', function: 'enumeration', functionOptions: { values: ['second'] } } } }, STATE);
    expect(byKey.map((r) => [r.message, r.line, r.column])).toEqual([['`minute` must be equal to one of the allowed values: `second`', 8, 15]]);
    const tilde = lint({ keys: { given: '$.services[0].plugins[0].config.*~', then: { function: 'enumeration', functionOptions: { values: ['second'] } } } }, STATE);
    expect(tilde).toEqual(byKey.map((r) => ({ ...r, given: '$.services[0].plugins[0].config.*~' })));
  });

  it('takes a field that is a JSONPath relative to the node, and runs once on nothing when it picks nothing', () => {
    const rules = {
      limited: {
        description: 'Each service is rate-limited',
        given: '$.services[*]',
        then: { field: "$.plugins[?(@.name == 'rate-limiting')]", function: 'defined' },
      },
    };
    expect(lint(rules, STATE).map((r) => [r.message, r.line, r.column])).toEqual([
      ["Each service is rate-limited: `$.plugins[?(@.name == 'rate-limiting')]` property must be defined", 15, 3],
    ]);
  });

  it('fills message placeholders: error, description, property, value, path and print("property")', () => {
    const results = lint(
      {
        proto: {
          description: 'HTTPS only',
          message: '{{description}} at {{path}}: {{property}} is {{value}}; #{{print("property")}}fails: {{error}}',
          given: '$.services[*]',
          then: { field: 'url', function: 'pattern', functionOptions: { notMatch: '^http:' } },
        },
      },
      STATE,
    );
    expect(results.map((r) => r.message)).toEqual([
      'HTTPS only at /services/0/url: url is http://orders:8080; `url` property fails: `http://orders:8080` must not match the expression `^http:`',
    ]);
    // A message without placeholders is the message; without a message, the description and the error.
    expect(lint({ m: { message: 'Use HTTPS', given: '$.services[0].url', then: { function: 'pattern', functionOptions: { match: '^https' } } } }, STATE)[0].message).toBe('Use HTTPS');
    expect(lint({ m: { given: '$.services[0].url', then: { function: 'pattern', functionOptions: { match: '^https' } } } }, STATE)[0].message).toBe(
      '`http://orders:8080` does not match the expression `^https`',
    );
  });

  it('takes Spectral severities (names, 0–3, warn by default) and leaves out rules that are off or not recommended', () => {
    const then = { function: 'truthy', field: 'nope' };
    const rules = {
      a: { given: '$', severity: 0, then },
      b: { given: '$', severity: 1, then },
      c: { given: '$', severity: 2, then },
      d: { given: '$', severity: 3, then },
      e: { given: '$', then },
      off: { given: '$', severity: 'off', then },
      minus: { given: '$', severity: -1, then },
      unrecommended: { given: '$', recommended: false, then },
    };
    expect(lint(rules, STATE).map((r) => `${r.rule}:${r.severity}`)).toEqual(['a:error', 'b:warn', 'c:info', 'd:hint', 'e:warn']);
  });

  it('runs several then clauses, and sorts results by their place in the file', () => {
    const results = lint(
      {
        later: { given: '$.services[1]', then: [{ field: 'url', function: 'defined' }, { field: 'name', function: 'pattern', functionOptions: { match: '^x' } }] },
        earlier: { given: '$._format_version', then: { function: 'pattern', functionOptions: { match: '^2' } } },
      },
      STATE,
    );
    expect(results.map((r) => [r.rule, r.line, r.column])).toEqual([
      ['earlier', 1, 18],
      ['later', 15, 3],
      ['later', 15, 9],
    ]);
  });

  it('reports a value used through an alias where the alias is, and one a merge key brings where it is written', () => {
    const state = `_format_version: "3.0"
defaults: &proto
  protocol: http
scheme: &scheme http
services:
- name: a
  protocol: *scheme
- name: b
  <<: *proto
`;
    const results = lint({ https: { given: '$.services[*].protocol', then: { function: 'pattern', functionOptions: { match: '^https$' } } } }, state);
    expect(results.map((r) => [r.line, r.column])).toEqual([
      [3, 13],
      [7, 13],
    ]);
  });

  it('places results in a JSON file too', () => {
    const state = '{\n  "_format_version": "3.0",\n  "services": [\n    { "name": "a", "url": "http://a" }\n  ]\n}\n';
    const results = lint({ https: { given: '$.services[*].url', then: { function: 'pattern', functionOptions: { match: '^https' } } } }, state);
    expect(results.map((r) => [r.line, r.column])).toEqual([[4, 27]]);
  });

  it('tests numbers and booleans with pattern as the file writes them (3.0, not 3)', () => {
    const state = '_format_version: 3.0\nservices:\n- name: a\n  port: 8443\n  enabled: true\n';
    expect(lint({ v: { given: '$._format_version', then: { function: 'pattern', functionOptions: { match: '^3\\.0$' } } } }, state)).toEqual([]);
    const port = { p: { given: '$.services[*]', then: [{ field: 'port', function: 'pattern', functionOptions: { match: '^80' } }, { field: 'enabled', function: 'pattern', functionOptions: { notMatch: 'true' } }] } };
    expect(lint(port, state).map((r) => [r.message, r.line, r.column])).toEqual([
      ['`8443` does not match the expression `^80`', 4, 9],
      ['`true` must not match the expression `true`', 5, 12],
    ]);
  });

  it('sees ${{ env }} templates as the file writes them, not the variables', () => {
    const state = '_format_version: "3.0"\nservices:\n- name: a\n  url: ${{ env "DECK_URL" }}\n';
    const rules = { fromEnv: { given: '$.services[*].url', then: { function: 'pattern', functionOptions: { match: '^\\$\\{\\{ env "DECK_' } } } };
    expect(lint(rules, state)).toEqual([]);
    const plain = { https: { given: '$.services[*].url', then: { function: 'pattern', functionOptions: { match: '^https' } } } };
    expect(lint(plain, state)[0].message).toBe('`${{ env "DECK_URL" }}` does not match the expression `^https`');
  });
});

describe("kong-ctl file lint: Spectral's core functions", () => {
  it('truthy, falsy, defined and undefined, which take no options', () => {
    expect(run('truthy', null, 'x')).toEqual([]);
    for (const v of [false, '', 0, null, undefined]) expect(run('truthy', undefined, v), String(v)).toEqual(['`p` property must be truthy']);
    expect(run('falsy', undefined, 0)).toEqual([]);
    expect(run('falsy', undefined, 'x')).toEqual(['`p` property must be falsy']);
    expect(run('defined', undefined, null)).toEqual([]);
    expect(run('defined', undefined, undefined, null)).toEqual(['The document must be defined']);
    expect(run('undefined', undefined, undefined)).toEqual([]);
    expect(run('undefined', undefined, false)).toEqual(['`p` property must be undefined']);
    for (const name of ['truthy', 'falsy', 'defined', 'undefined']) expect(optionsProblem(name, { x: 1 }).message).toBe(`"${name}" takes no functionOptions`);
  });

  it('pattern: match and notMatch, /slashed/ with flags, numbers as written, other types skipped', () => {
    expect(run('pattern', { match: '^https' }, 'https://a')).toEqual([]);
    expect(run('pattern', { match: '/^HTTPS/i' }, 'https://a')).toEqual([]);
    expect(run('pattern', { match: '/^HTTPS/' }, 'https://a')).toEqual(['`https://a` does not match the expression `/^HTTPS/`']);
    expect(run('pattern', { match: '^a', notMatch: 'b$' }, 'xb')).toEqual(['`xb` does not match the expression `^a`', '`xb` must not match the expression `b$`']);
    expect(run('pattern', { match: '/a/g' }, 'a')).toEqual([]);
    expect(run('pattern', { match: '/a/g' }, 'a')).toEqual([]);
    expect(run('pattern', { match: '^3\\.0$' }, 3, 'p', '3.0')).toEqual([]);
    expect(run('pattern', { match: '^80' }, 8443)).toEqual(['`8443` does not match the expression `^80`']);
    expect(run('pattern', { match: '^a' }, ['b'])).toEqual([]);
    expect(run('pattern', { match: '^a' }, undefined)).toEqual([]);
    expect(optionsProblem('pattern', {}).message).toContain('"pattern" needs "match" or "notMatch"');
    expect(optionsProblem('pattern', { match: 1 })).toMatchObject({ at: ['match'] });
    expect(optionsProblem('pattern', { match: '(' }).message).toContain('"pattern" and its "match" option: Invalid regular expression');
    expect(optionsProblem('pattern', { notmatch: 'x' })).toMatchObject({ at: ['notmatch'], message: '"pattern" has no option "notmatch" (it takes match, notMatch)' });
  });

  it('casing: every type, digits, separators', () => {
    const ok: Array<[string, string]> = [
      ['flat', 'orders'],
      ['camel', 'ordersApi2'],
      ['pascal', 'OrdersApi'],
      ['kebab', 'orders-api'],
      ['cobol', 'ORDERS-API'],
      ['snake', 'orders_api'],
      ['macro', 'ORDERS_API'],
    ];
    for (const [type, value] of ok) {
      expect(run('casing', { type }, value), type).toEqual([]);
      expect(run('casing', { type }, 'Not Any-Case'), type).toEqual([`\`Not Any-Case\` must be ${type} case`]);
    }
    expect(run('casing', { type: 'kebab', disallowDigits: true }, 'api-v2')).toEqual(['`api-v2` must be kebab case']);
    expect(run('casing', { type: 'kebab' }, 'api-v2')).toEqual([]);
    expect(run('casing', { type: 'kebab', separator: { char: '/' } }, 'orders/by-id')).toEqual([]);
    expect(run('casing', { type: 'kebab', separator: { char: '/' } }, '/orders')).toEqual(['`/orders` must be kebab case']);
    expect(run('casing', { type: 'kebab', separator: { char: '/', allowLeading: true } }, '/orders/by-id')).toEqual([]);
    expect(run('casing', { type: 'kebab', separator: { char: '/', allowLeading: true } }, '/')).toEqual([]);
    expect(run('casing', { type: 'kebab' }, 42)).toEqual([]);
    expect(optionsProblem('casing', { type: 'upper' })).toMatchObject({ at: ['type'], message: expect.stringContaining('flat, camel, pascal, kebab, cobol, snake, macro') });
    expect(optionsProblem('casing', { type: 'kebab', separator: { char: '//' } })).toMatchObject({ at: ['separator', 'char'] });
    expect(optionsProblem('casing', { type: 'kebab', disallowDigits: 'yes' })).toMatchObject({ at: ['disallowDigits'] });
  });

  it('alphabetical: lists, objects by key, lists of objects keyedBy', () => {
    expect(run('alphabetical', null, ['a', 'b', 'c'])).toEqual([]);
    expect(run('alphabetical', undefined, ['b', 'a'])).toEqual(['`b` must be placed after `a`']);
    expect(run('alphabetical', undefined, [1, 2, 10])).toEqual([]);
    expect(run('alphabetical', undefined, { b: 1, a: 2 })).toEqual(['`b` must be placed after `a`']);
    expect(run('alphabetical', { keyedBy: 'name' }, [{ name: 'a' }, { name: 'b' }])).toEqual([]);
    expect(run('alphabetical', { keyedBy: 'name' }, [{ name: 'b' }, { name: 'a' }])).toEqual(['`b` must be placed after `a` (by `name`)']);
    expect(run('alphabetical', { keyedBy: 'name' }, ['b'])).toEqual([]);
    expect(run('alphabetical', { keyedBy: 'name' }, ['b', 'a'])).toEqual(['`0` property must be an object with a `name` property']);
    expect(run('alphabetical', undefined, 'ba')).toEqual([]);
    expect(optionsProblem('alphabetical', { keyedBy: 1 })).toMatchObject({ at: ['keyedBy'] });
  });

  it('enumeration: primitive values only, compared by type', () => {
    expect(run('enumeration', { values: ['http', 'https'] }, 'https')).toEqual([]);
    expect(run('enumeration', { values: ['http', 'https'] }, 'grpc')).toEqual(['`grpc` must be equal to one of the allowed values: `http`, `https`']);
    expect(run('enumeration', { values: [80, 443] }, '80')).toEqual(['`80` must be equal to one of the allowed values: `80`, `443`']);
    expect(run('enumeration', { values: ['a'] }, ['a'])).toEqual([]);
    expect(optionsProblem('enumeration', {}).message).toContain('"enumeration" needs "values"');
    expect(optionsProblem('enumeration', { values: [{}] })).toMatchObject({ at: ['values'] });
  });

  it('length: strings, lists, objects and numbers, min and max', () => {
    expect(run('length', { min: 1 }, ['a'])).toEqual([]);
    expect(run('length', { min: 1 }, [])).toEqual(['`p` property must not be shorter than 1 item (has 0)']);
    expect(run('length', { max: 3 }, 'abcd')).toEqual(['`p` property must not be longer than 3 characters (has 4)']);
    expect(run('length', { min: 2, max: 2 }, { a: 1 })).toEqual(['`p` property must not be shorter than 2 properties (has 1)']);
    expect(run('length', { max: 65535 }, 70000)).toEqual(['`p` property must not be greater than 65535 (is 70000)']);
    expect(run('length', { min: 1 }, undefined)).toEqual([]);
    expect(run('length', { min: 1 }, true)).toEqual([]);
    expect(optionsProblem('length', {}).message).toContain('"length" needs "min", "max" or both');
    expect(optionsProblem('length', { min: '1' })).toMatchObject({ at: ['min'] });
  });

  it('xor and or: which of the properties an object has', () => {
    expect(run('xor', { properties: ['url', 'host'] }, { url: 'x' })).toEqual([]);
    expect(run('xor', { properties: ['url', 'host'] }, { url: 'x', host: 'y' })).toEqual(['just one of `url` and `host` must be defined']);
    expect(run('xor', { properties: ['url', 'host'] }, {})).toEqual(['at least one of `url` or `host` must be defined']);
    expect(run('xor', { properties: ['a', 'b', 'c'] }, { a: 1, c: 1 })).toEqual(['just one of `a` and `c` must be defined']);
    expect(run('xor', { properties: ['a', 'b', 'c'] }, { a: 1, b: 1, c: 1 })).toEqual(['just one of `a`, `b` and `c` must be defined']);
    expect(run('xor', { properties: ['a', 'b', 'c', 'd', 'e'] }, {})).toEqual(['at least one of `a`, `b`, `c` or 2 other properties must be defined']);
    expect(run('xor', { properties: ['url', 'host'] }, 'x')).toEqual([]);
    expect(run('or', { properties: ['username', 'custom_id'] }, { custom_id: 'x' })).toEqual([]);
    expect(run('or', { properties: ['username', 'custom_id'] }, {})).toEqual(['at least one of `username` or `custom_id` must be defined']);
    expect(optionsProblem('xor', { properties: ['a'] })).toMatchObject({ at: ['properties'] });
    expect(optionsProblem('or', {}).message).toContain('"or" needs "properties"');
  });

  it('schema: JSON Schema by dialect, each error at the node it is about', () => {
    const schema = { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer', maximum: 65535 }, protocol: { enum: ['http', 'https'] } }, additionalProperties: false };
    expect(run('schema', { schema }, { name: 'a', port: 80 })).toEqual([]);
    expect(run('schema', { schema, allErrors: true }, { port: 70000, protocol: 'tcp', extra: 1 })).toEqual([
      '`p` property must have required property `name`',
      '`extra` property is not allowed here',
      '`port` property must be <= 65535',
      '`protocol` property must be equal to one of the allowed values: `http`, `https`',
    ]);
    expect(run('schema', { schema }, { port: 70000 })).toHaveLength(1);
    expect(run('schema', { schema }, undefined)).toEqual(['`p` property must exist']);
    // draft 4's boolean exclusiveMaximum, and the 2020-12 dialect's prefixItems.
    expect(run('schema', { schema: { $schema: 'http://json-schema.org/draft-04/schema#', maximum: 10, exclusiveMaximum: true } }, 10)).toEqual(['`p` property must be < 10']);
    expect(run('schema', { dialect: 'draft2020-12', schema: { prefixItems: [{ type: 'string' }] } }, [1])).toEqual(['`0` property type must be string']);
    expect(optionsProblem('schema', { schema: { type: 'nope' } })).toMatchObject({ at: ['schema'], message: expect.stringContaining('not a valid draft7 JSON Schema') });
    expect(optionsProblem('schema', { schema: {}, dialect: 'draft3' })).toMatchObject({ at: ['dialect'] });
    const located = lint({ s: { given: '$.services[*]', then: { function: 'schema', functionOptions: { schema } } } }, '_format_version: "3.0"\nservices:\n- name: a\n  port: 70000\n');
    expect(located.map((r) => [r.message, r.line, r.column])).toEqual([['`port` property must be <= 65535', 4, 9]]);
    // A missing required property is reported at the object that lacks it, as Spectral does.
    const missing = lint({ s: { given: '$.services[*]', then: { function: 'schema', functionOptions: { schema } } } }, '_format_version: "3.0"\nservices:\n- port: 80\n');
    expect(missing.map((r) => [r.message, r.line, r.column])).toEqual([['`0` property must have required property `name`', 3, 3]]);
  });

  it('unreferencedReusableObject: the reusable objects no local $ref points at, each where it is', () => {
    const rules = { orphans: { given: '$.x-defs', then: { function: 'unreferencedReusableObject', functionOptions: { reusableObjectsLocation: '#/x-defs' } } } };
    const state = `_format_version: "3.0"
x-defs:
  used: { a: 1 }
  from-orphan: { a: 1 }
  part-only: { a: { b: 1 } }
  orphan: { $ref: "#/x-defs/from-orphan" }
  a/b: { a: 1 }
  c/d: { a: 1 }
services:
- name: s
  x-ref: { $ref: "#/x-defs/used" }
  x-part: { $ref: "#/x-defs/part-only/a" }
  x-escaped: { $ref: "#/x-defs/a~1b" }
  x-other-file: { $ref: "other.yaml#/x-defs/c~1d" }
`;
    // As Spectral: a $ref into part of an object does not count, one in an orphan does; only this
    // document's $refs count.
    expect(lint(rules, state).map((r) => [r.message, r.line, r.column])).toEqual([
      ['Potential orphaned reusable object has been detected: `#/x-defs/part-only`', 5, 14],
      ['Potential orphaned reusable object has been detected: `#/x-defs/orphan`', 6, 11],
      ['Potential orphaned reusable object has been detected: `#/x-defs/c~1d`', 8, 8],
    ]);
    expect(run('unreferencedReusableObject', { reusableObjectsLocation: '#' }, 'nope')).toEqual([]);
    expect(optionsProblem('unreferencedReusableObject', {}).message).toContain('needs "reusableObjectsLocation"');
    expect(optionsProblem('unreferencedReusableObject', { reusableObjectsLocation: 'definitions' })).toMatchObject({ at: ['reusableObjectsLocation'] });
    expect(optionsProblem('unreferencedReusableObject', { reusableObjectsLocation: 2 })).toMatchObject({ at: ['reusableObjectsLocation'] });
    expect(optionsProblem('unreferencedReusableObject', { reusableObjectsLocation: '#', foo: true })).toMatchObject({ at: ['foo'] });
    for (const location of ['#', '#/', '#/~1/d']) expect(() => FUNCTIONS.unreferencedReusableObject.prepare({ reusableObjectsLocation: location })).not.toThrow();
  });

  it('typedEnum: enum values of a schema must have its type', () => {
    expect(run('typedEnum', null, { type: 'string', enum: ['a', 'b'] })).toEqual([]);
    expect(run('typedEnum', null, { type: ['integer', 'null'], enum: [1, null, 'x'] })).toEqual(['Enum value `x` must be "integer" or "null"']);
    expect(run('typedEnum', null, { enum: [1] })).toEqual([]);
  });
});

describe('kong-ctl file lint: bad input is refused at its file:line, before anything is linted', () => {
  it('a ruleset or a decK file that cannot be read, or both from stdin', async () => {
    const missing = await runCli(['file', 'lint', '-s', session.write('k.yaml', DECK_STATE), join(session.dir(), 'nope.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe(`kong-ctl: error: cannot read '${join(session.dir(), 'nope.yaml')}': no such file or directory\n`);
    const noState = await runCli(['file', 'lint', '-s', join(session.dir(), 'nope.yaml'), session.write('r.yaml', DECK_RULESET)]);
    expect(noState.code).toBe(1);
    expect(noState.stderr).toContain('no such file or directory');
    const bothStdin = await runCli(['file', 'lint', '-'], { stdin: DECK_RULESET });
    expect(bothStdin.code).toBe(1);
    expect(bothStdin.stderr).toContain('cannot both come from stdin');
  });

  it('a ruleset that is not YAML, or not a mapping', async () => {
    const out = join(session.dir(), 'not-written.json');
    const r = await runCli(['file', 'lint', '-o', out, session.write('broken.yaml', 'rules:\n  a: [\n')], { stdin: DECK_STATE });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^kong-ctl: error: .*broken\.yaml:3:1: invalid YAML\/JSON in the ruleset: /);
    expect(existsSync(out)).toBe(false);
    expect(refusal('- a\n- b\n')).toMatchObject({ code: 'E_RULESET', message: expect.stringMatching(/^rules\.yaml:1:1: a ruleset is a mapping with rules/) });
    expect(refusal('description: nothing\n').message).toBe('rules.yaml:1:1: rules.yaml has no rules: a ruleset needs rules: { name: { given, then } }');
    // A misspelt rules key is two problems, both said at once.
    expect(refusal('rule:\n  a: { given: $, then: { function: truthy } }\n').message.split('\n')).toEqual([
      "rules.yaml:1:1: unknown key 'rule' in a ruleset (rules, extends, description, documentationUrl)",
      'rules.yaml:1:1: rules.yaml has no rules: a ruleset needs rules: { name: { given, then } }',
    ]);
  });

  it('lists every problem of a ruleset, each at its line: unknown function, severity, JSONPath, options, field, keys', () => {
    const text = `rules:
  one:
    given: $.services[*]
    severity: fatal
    then:
      function: truthyy
  two:
    given: $.services[?@.name ==]
    then:
      function: pattern
      functionOptions:
        match: "("
  three:
    given: services[*]
    then:
      field: "a..b"
      function: length
      functionOptions: { min: "1" }
  four:
    given: $
    then: { function: truthy }
    then-typo: 1
`;
    const err = refusal(text);
    expect(err.code).toBe('E_RULESET');
    expect(err.message.split('\n')).toEqual([
      'rules.yaml:4:15: rule \'one\': severity must be error, warn, info, hint or off (or 0–3, -1), not "fatal"',
      'rules.yaml:6:17: unknown function "truthyy" (did you mean truthy?): kong-ctl runs Spectral\'s core functions: alphabetical, casing, defined, enumeration, falsy, length, or, pattern, schema, truthy, typedEnum, undefined, unreferencedReusableObject, xor',
      expect.stringMatching(/^rules\.yaml:8:12: rule 'two': given '\$\.services\[\?@\.name ==\]' is not a JSONPath query: /),
      'rules.yaml:12:16: functionOptions: "pattern" and its "match" option: Invalid regular expression: /(/: Unterminated group',
      "rules.yaml:14:12: rule 'three': given 'services[*]' must be a JSONPath query starting with $ (e.g. $.services[*])",
      "rules.yaml:16:14: field 'a..b' is not a property path (name, a.b, a[0] or a[\"b.c\"])",
      'rules.yaml:18:31: functionOptions: "length" and its "min" option must be a number',
      "rules.yaml:22:5: rule 'four': unknown key 'then-typo' (description, message, severity, recommended, given, then…)",
    ]);
  });

  it('a rule without given or then, a then without function, options a function does not take', () => {
    expect(refusal({ a: { then: { function: 'truthy' } } }).message).toBe("rules.yaml:3:5: rule 'a' needs given: the JSONPath of what it checks, e.g. $.services[*]");
    expect(refusal({ a: { given: '$' } }).message).toContain("rule 'a' needs then");
    expect(refusal({ a: { given: '$', then: { field: 'x' } } }).message).toContain('then needs a function');
    expect(refusal({ a: { given: '$', then: { function: 'casing' } } }).message).toBe('rules.yaml:5:17: functionOptions: "casing" needs functionOptions, e.g. { "type": "kebab" }');
    expect(refusal({ a: { given: '$', then: { function: 'truthy', functionOptions: { x: 1 } } } }).message).toBe(
      'rules.yaml:7:9: functionOptions: "truthy" takes no functionOptions',
    );
    expect(refusal({ a: { given: '$', message: '{{eror}}', then: { function: 'truthy' } } }).message).toContain('message: unknown placeholder {{eror}}');
  });

  it('what aims at OpenAPI or needs JavaScript: extends, formats, functions, aliases', () => {
    const rules = { a: { given: '$', then: { function: 'truthy', field: '_format_version' } } };
    expect(refusal(rules, { extends: 'spectral:oas' }).message).toBe(
      "rules.yaml:1:10: extends 'spectral:oas': that ruleset is for OpenAPI/AsyncAPI documents, not decK files. kong-ctl lints with the rules this file defines: remove it, or write [[spectral:oas, off]]",
    );
    expect(refusal(rules, { extends: [['spectral:oas', 'recommended'], './base.yaml'] }).message.split('\n')).toEqual([
      expect.stringMatching(/^rules\.yaml:2:5: extends 'spectral:oas'/),
      'rules.yaml:4:5: extends "./base.yaml": extending another ruleset is not supported: put the rules this file needs in it',
    ]);
    expect(refusal(rules, { functions: ['custom'] }).message).toMatch(/^rules\.yaml:1:1: custom functions are not supported/);
    expect(refusal(rules, { formats: ['oas3'] }).message).toMatch(/^rules\.yaml:1:1: formats choose the OpenAPI or AsyncAPI documents/);
    expect(refusal({ a: { ...rules.a, formats: ['oas3'] } }).message).toMatch(/^rules\.yaml:7:5: rule 'a': formats choose/);
    expect(refusal({ a: { ...rules.a, given: '#ServiceObject' } }).message).toContain('aliases are not supported');
    expect(refusal({ 'operation-tags': 'warn' }).message).toContain("rule 'operation-tags' only sets a severity");
  });

  it("takes decK's own way to drop Spectral's rules, [[spectral:oas, off]], and a rule turned off by name", () => {
    const text = `extends: [[spectral:oas, off]]
rules:
  operation-tags: off
  https-only:
    description: "Must use HTTPS protocol"
    given: $.services[*].protocol
    severity: error
    then:
      function: pattern
      functionOptions:
        match: "^https"
`;
    expect(lint(text, DECK_STATE).map((r) => [r.rule, r.line, r.column])).toEqual([['https-only', 5, 13]]);
  });
});

/**
 * go-apiops' lint tests, run through kong-ctl's `file lint`.
 *
 * Ported from Kong/go-apiops, commit c9d8437cd9a97271db704efda04926ffc2a5e26b: lint/lint_test.go
 * (Severity, ParseRuleset, "Lint (integration)", CountBySeverity, SortResults, typedEnum and
 * alphabetical integration) and lint/functions_test.go (every core function's cases,
 * GetCoreFunction). go-apiops is Copyright Kong Inc., licensed under the Apache License, Version
 * 2.0 (http://www.apache.org/licenses/LICENSE-2.0); these are its cases rewritten for kong-ctl.
 *
 * Each case asserts what go-apiops asserts: how many results, their severity, the words its
 * messages are checked for, and the line and column where it gives them. Where kong-ctl answers
 * otherwise on purpose, because it follows Spectral (the reference go-apiops and decK's vacuum
 * implement) or decK, the case says so and asserts what kong-ctl does instead.
 */
import { describe, expect, it } from 'vitest';
import { KongCtlError } from '../../../cli/src/model/errors';
import { parseDeckDocument } from '../../../cli/src/file-ops/document';
import { FUNCTIONS, OptionsError, type FunctionContext } from '../../../cli/src/file-ops/lint/functions';
import { parseRuleset, SEVERITIES, type Ruleset, type Severity } from '../../../cli/src/file-ops/lint/ruleset';
import { lintDocument, type LintResult } from '../../../cli/src/file-ops/lint/run';
import { reportOf } from '../../../cli/src/file-ops/lint/report';
import { nockSession } from '../commands/nock-session';
import { runCli } from '../commands/run-cli';

const session = nockSession('kong-ctl-lint-apiops-');

interface JsonResult {
  Message: string;
  Severity: Severity;
  Line: number;
  Column: number;
  Path: string;
  Rule: string;
}

let files = 0;

/** go-apiops' `Lint(ruleset, document, "test.yaml")`, as a user runs it: the CLI's json report. */
async function cliLint(ruleset: string, document: string): Promise<{ code: number; results: JsonResult[]; stderr: string }> {
  const rules = session.write(`rules-${++files}.yaml`, ruleset);
  const r = await runCli(['file', 'lint', '--format', 'json', '-F', 'hint', rules], { stdin: document });
  if (r.stdout === '') return { code: r.code, results: [], stderr: r.stderr };
  const report = JSON.parse(r.stdout) as { results: JsonResult[]; total_count: number };
  expect(report.total_count).toBe(report.results.length);
  return { code: r.code, results: report.results, stderr: r.stderr };
}

function parse(text: string): Ruleset {
  return parseRuleset({ name: 'rules.yaml', text });
}

function lint(ruleset: string, document: string): LintResult[] {
  return lintDocument(parseDeckDocument({ name: 'test.yaml', text: document }), parse(ruleset));
}

/** The error a ruleset is refused with. */
function refusal(text: string): KongCtlError {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(KongCtlError);
    return err as KongCtlError;
  }
  throw new Error('the ruleset was accepted');
}

/** go-apiops' `GetCoreFunction(name)(value, opts)`: one function on one value, its messages. */
function fn(name: string, options: unknown, value: unknown, document?: unknown): string[] {
  const f = FUNCTIONS[name];
  expect(f, name).toBeDefined();
  const ctx: FunctionContext = { property: 'p', text: () => undefined, document };
  return (f.run(value, f.prepare(options), ctx) ?? []).map((r) => r.message);
}

describe('go-apiops lint_test.go: Severity', () => {
  it('parses valid severity strings', async () => {
    for (const s of ['error', 'warn', 'info', 'hint'] as const) {
      expect(parse(`rules:\n  r:\n    given: $.name\n    severity: ${s}\n    then:\n      function: truthy\n`).rules[0].severity).toBe(s);
      // --fail-severity takes them too.
      const r = await runCli(['file', 'lint', '-F', s, session.write(`sev-${s}.yaml`, 'rules:\n  r:\n    given: $.name\n    then:\n      function: truthy\n')], {
        stdin: 'name: x\n',
      });
      expect(r, s).toEqual({ code: 0, stdout: '', stderr: '' });
    }
  });

  it('parses case-insensitively', async () => {
    const rules = session.write('sev-upper.yaml', 'rules:\n  r:\n    given: $.name\n    severity: warn\n    then:\n      function: falsy\n');
    const r = await runCli(['file', 'lint', '-F', 'WARN', '--format', 'json', rules], { stdin: 'name: x\n' });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ total_count: 1, fail_count: 1 });
    // Deliberately different: in the ruleset, a severity is Spectral's, lower case only (Spectral's
    // ruleset schema takes error, warn, info, hint, off); go-apiops' ParseSeverity takes ERROR.
    expect(refusal('rules:\n  r:\n    given: $.name\n    severity: ERROR\n    then:\n      function: truthy\n').message).toContain(
      "rule 'r': severity must be error, warn, info, hint or off",
    );
  });

  it('returns error for unknown severity', async () => {
    expect(refusal('rules:\n  r:\n    given: $.name\n    severity: critical\n    then:\n      function: truthy\n').message).toBe(
      'rules.yaml:4:15: rule \'r\': severity must be error, warn, info, hint or off (or 0–3, -1), not "critical"',
    );
    const r = await runCli(['file', 'lint', '-F', 'critical', session.write('sev-critical.yaml', 'rules: {}\n')], { stdin: 'name: x\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--fail-severity must be error, warn, info or hint');
  });

  it('converts severity to string', async () => {
    expect(SEVERITIES).toEqual(['error', 'warn', 'info', 'hint']);
    const rules = SEVERITIES.map((s) => `  ${s}-rule:\n    given: $.name\n    severity: ${s}\n    then:\n      function: falsy\n`).join('');
    const r = await runCli(['file', 'lint', '-F', 'hint', session.write('sev-all.yaml', `rules:\n${rules}`)], { stdin: 'name: x\n' });
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('['));
    expect(lines.map((l) => l.slice(0, l.indexOf(']') + 1))).toEqual(['[error]', '[warn]', '[info]', '[hint]']);
  });
});

describe('go-apiops lint_test.go: ParseRuleset', () => {
  it('parses a valid ruleset', () => {
    const rs = parse(`
rules:
  my-rule:
    description: "Test rule"
    given: $.name
    severity: error
    then:
      function: truthy
`);
    expect(rs.rules).toHaveLength(1);
    const rule = rs.rules[0];
    expect(rule.name).toBe('my-rule');
    expect(rule.description).toBe('Test rule');
    expect(rule.given.map((g) => g.source)).toEqual(['$.name']);
    expect(rule.severity).toBe('error');
    expect(rule.then).toHaveLength(1);
    expect(rule.then[0].function).toBe('truthy');
  });

  it('parses ruleset with array given', () => {
    const rs = parse('rules:\n  my-rule:\n    given:\n      - $.name\n      - $.title\n    then:\n      function: truthy\n');
    expect(rs.rules[0].given.map((g) => g.source)).toEqual(['$.name', '$.title']);
  });

  it('parses ruleset with array then', () => {
    const rs = parse(`
rules:
  my-rule:
    given: "$"
    then:
      - field: title
        function: truthy
      - field: description
        function: truthy
`);
    expect(rs.rules[0].then).toHaveLength(2);
    expect(rs.rules[0].then.map((t) => t.field)).toEqual([
      { kind: 'property', source: 'title', segments: ['title'] },
      { kind: 'property', source: 'description', segments: ['description'] },
    ]);
  });

  it('parses ruleset with functionOptions', () => {
    const rs = parse('rules:\n  my-rule:\n    given: $.name\n    then:\n      function: pattern\n      functionOptions:\n        match: "^[a-z]+"\n');
    // kong-ctl keeps the options checked and compiled: the expression as written, and its RegExp.
    expect(rs.rules[0].then[0].options).toMatchObject({ match: { source: '^[a-z]+', re: /^[a-z]+/ } });
  });

  it('defaults severity to warn', () => {
    expect(parse('rules:\n  my-rule:\n    given: $.name\n    then:\n      function: truthy\n').rules[0].severity).toBe('warn');
  });

  it('returns error for invalid YAML', () => {
    expect(() => parse('{invalid yaml')).toThrow(/rules\.yaml:\d+:\d+: invalid YAML\/JSON in the ruleset/);
  });

  it('returns error for missing rules key', () => {
    // go-apiops says "ruleset is missing required 'rules' key"; kong-ctl lists every problem, the
    // unknown key and the missing rules (it used to leave the second out when there was another).
    expect(refusal('something: else').message.split('\n')).toEqual([
      "rules.yaml:1:1: unknown key 'something' in a ruleset (rules, extends, description, documentationUrl)",
      'rules.yaml:1:1: rules.yaml has no rules: a ruleset needs rules: { name: { given, then } }',
    ]);
  });

  it('returns error for missing given field', () => {
    expect(refusal('rules:\n  bad-rule:\n    then:\n      function: truthy\n').message).toBe(
      "rules.yaml:3:5: rule 'bad-rule' needs given: the JSONPath of what it checks, e.g. $.services[*]",
    );
  });

  it('returns error for missing then field', () => {
    expect(refusal('rules:\n  bad-rule:\n    given: $.name\n').message).toBe(
      "rules.yaml:3:5: rule 'bad-rule' needs then: the function to run, e.g. { field: tags, function: truthy }",
    );
  });

  it('parses message field', () => {
    expect(parse('rules:\n  my-rule:\n    given: $.name\n    message: "Custom message"\n    then:\n      function: truthy\n').rules[0].message).toBe('Custom message');
  });
});

describe('go-apiops lint_test.go: Lint (integration), through the CLI', () => {
  const VERSION_RULESET = `
rules:
  version-check:
    description: "Validate version"
    given: $._format_version
    severity: error
    then:
      function: pattern
      functionOptions:
        match: "^3.1$"
`;

  it('validates a simple pattern rule', async () => {
    const { code, results } = await cliLint(VERSION_RULESET, '_format_version: "1.0"');
    expect(code).toBe(1);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ Severity: 'error', Line: 1, Column: 18 });
    expect(results[0].Message).toContain('does not match');
    expect(results[0].Message).toBe('Validate version: `1.0` does not match the expression `^3.1$`');
  });

  it('passes when pattern matches', async () => {
    expect(await cliLint(VERSION_RULESET, '_format_version: "3.1"')).toEqual({ code: 0, results: [], stderr: '' });
  });

  it('validates truthy with field', async () => {
    const ruleset = `
rules:
  required-fields:
    description: "Must have title"
    given: "$"
    severity: warn
    then:
      field: title
      function: truthy
`;
    const { results } = await cliLint(ruleset, '\nname: "My API"\ndescription: "A test API"\n');
    expect(results).toHaveLength(1);
    expect(results[0].Severity).toBe('warn');
    // Deliberately different: go-apiops gives a missing field line 0, column 0; kong-ctl (as
    // Spectral) the node that lacks it, here the document's mapping.
    expect(results[0]).toMatchObject({ Line: 2, Column: 1, Message: 'Must have title: `title` property must be truthy' });
  });

  it('validates multiple then entries', async () => {
    const ruleset = `
rules:
  required-fields:
    description: "Must have fields"
    given: "$"
    severity: warn
    then:
      - field: title
        function: truthy
      - field: description
        function: truthy
`;
    const { results } = await cliLint(ruleset, '\ntitle: "My API"\n');
    // title exists (truthy), description does not.
    expect(results).toHaveLength(1);
    expect(results[0].Message).toContain('truthy');
    expect(results[0].Message).toBe('Must have fields: `description` property must be truthy');
  });

  it('validates enumeration function', async () => {
    const ruleset = `
rules:
  valid-protocol:
    description: "Protocol must be http or https"
    given: $.protocol
    severity: error
    then:
      function: enumeration
      functionOptions:
        values:
          - http
          - https
`;
    const { results } = await cliLint(ruleset, 'protocol: ftp');
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ Severity: 'error', Line: 1, Column: 11 });
    // Deliberately different: go-apiops says "`ftp` does not match any of the allowed values";
    // kong-ctl keeps Spectral's enumeration message (vacuum's reads "must equal to one of").
    expect(results[0].Message).toBe('Protocol must be http or https: `ftp` must be equal to one of the allowed values: `http`, `https`');
  });

  it('validates casing function', async () => {
    const ruleset = `
rules:
  camel-case-name:
    description: "Name should be camelCased"
    given: $.name
    severity: warn
    then:
      function: casing
      functionOptions:
        type: camel
`;
    const { results } = await cliLint(ruleset, 'name: MyBadName');
    expect(results).toHaveLength(1);
    expect(results[0].Message).toContain('camel');
    expect(results[0]).toMatchObject({ Line: 1, Column: 7, Message: 'Name should be camelCased: `MyBadName` must be camel case' });
  });

  it('validates length function on array', async () => {
    const ruleset = `
rules:
  tag-count:
    description: "Must have 1-3 tags"
    given: "$"
    severity: warn
    then:
      field: tags
      function: length
      functionOptions:
        min: 1
        max: 3
`;
    const { results } = await cliLint(ruleset, '\ntags:\n  - name: a\n  - name: b\n  - name: c\n  - name: d\n');
    expect(results).toHaveLength(1);
    expect(results[0].Message).toContain('longer');
    expect(results[0]).toMatchObject({ Line: 3, Column: 3, Message: 'Must have 1-3 tags: `tags` property must not be longer than 3 items (has 4)' });
  });

  it('validates schema function', async () => {
    const ruleset = `
rules:
  servers-present:
    description: "Must have servers array"
    given: "$"
    severity: error
    then:
      field: servers
      function: schema
      functionOptions:
        schema:
          type: array
          minItems: 1
`;
    const { results } = await cliLint(ruleset, '\nservers: []\n');
    expect(results).toHaveLength(1);
    expect(results[0].Message).toContain('items');
    expect(results[0]).toMatchObject({ Line: 2, Column: 10, Message: 'Must have servers array: `servers` property must not have fewer than 1 items' });
  });

  it('validates or function', async () => {
    const ruleset = `
rules:
  descriptive-text:
    description: "Must have title or description"
    given: "$"
    severity: warn
    then:
      function: or
      functionOptions:
        properties:
          - title
          - description
`;
    const { results } = await cliLint(ruleset, '\nname: "test"\n');
    expect(results).toHaveLength(1);
    expect(results[0].Message).toContain('at least one');
    expect(results[0]).toMatchObject({ Line: 2, Column: 1 });
  });

  it('validates xor function', async () => {
    const ruleset = `
rules:
  value-xor-external:
    description: "Must have value or externalValue, not both"
    given: "$"
    severity: error
    then:
      function: xor
      functionOptions:
        properties:
          - value
          - externalValue
`;
    const { results } = await cliLint(ruleset, '\nvalue: "test"\nexternalValue: "http://example.com"\n');
    expect(results).toHaveLength(1);
    expect(results[0].Message).toContain('just one');
    expect(results[0]).toMatchObject({ Line: 2, Column: 1, Message: 'Must have value or externalValue, not both: just one of `value` and `externalValue` must be defined' });
  });

  it('validates defined function', async () => {
    const ruleset = `
rules:
  must-have-info:
    description: "Must have info"
    given: "$"
    severity: error
    then:
      field: info
      function: defined
`;
    const { results } = await cliLint(ruleset, '\nname: "test"\n');
    expect(results).toHaveLength(1);
    expect(results[0].Message).toContain('defined');
    expect(results[0].Message).toBe('Must have info: `info` property must be defined');
  });

  it('validates undefined function', async () => {
    const ruleset = `
rules:
  no-x-internal:
    description: "Should not have x-internal"
    given: "$"
    severity: warn
    then:
      field: x-internal
      function: undefined
`;
    const { results } = await cliLint(ruleset, '\nname: "test"\nx-internal: true\n');
    expect(results).toHaveLength(1);
    expect(results[0].Message).toContain('undefined');
    expect(results[0]).toMatchObject({ Line: 3, Column: 13, Message: 'Should not have x-internal: `x-internal` property must be undefined' });
  });

  it('validates multiple rules', async () => {
    const ruleset = `
rules:
  has-name:
    description: "Must have name"
    given: "$"
    severity: error
    then:
      field: name
      function: truthy
  has-version:
    description: "Must have version"
    given: "$"
    severity: warn
    then:
      field: version
      function: truthy
`;
    const { results } = await cliLint(ruleset, '\ndescription: "test"\n');
    expect(results).toHaveLength(2);
    expect(results.map((r) => [r.Rule, r.Severity])).toEqual([
      ['has-name', 'error'],
      ['has-version', 'warn'],
    ]);
  });

  it('returns error for invalid ruleset', async () => {
    const r = await runCli(['file', 'lint', session.write('invalid-ruleset.yaml', '{invalid')], { stdin: 'name: test' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/invalid-ruleset\.yaml:\d+:\d+: invalid YAML\/JSON in the ruleset/);
  });

  it('returns error for invalid document', async () => {
    const r = await runCli(['file', 'lint', session.write('name-truthy.yaml', 'rules:\n  my-rule:\n    given: $.name\n    then:\n      function: truthy\n')], {
      stdin: '\t- invalid',
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^kong-ctl: error: <stdin>:1:\d+: /);
  });

  it('handles the docs/lint/version.yaml example ruleset', async () => {
    const ruleset = VERSION_RULESET.replace('Validate version"', 'Validate version 3.1 for decK files"');
    const failing = await cliLint(ruleset, '_format_version: "1.0"');
    expect(failing.results).toHaveLength(1);
    expect(failing.results[0].Severity).toBe('error');
    expect((await cliLint(ruleset, '_format_version: "3.1"')).results).toEqual([]);
  });

  it('handles the docs/lint/https.yaml example ruleset', async () => {
    const ruleset = `
rules:
  service-https-check:
    description: "Ensure https usage in Kong GW Services"
    given: $.services[*].protocol
    severity: error
    then:
      function: pattern
      functionOptions:
        match: "^https$"
`;
    const doc = '\nservices:\n  - name: svc1\n    protocol: https\n  - name: svc2\n    protocol: http\n';
    const { results } = await cliLint(ruleset, doc);
    expect(results).toHaveLength(1);
    expect(results[0].Severity).toBe('error');
    expect(results[0].Message).toContain('does not match');
    expect(results[0]).toMatchObject({ Line: 6, Column: 15, Path: '$.services[*].protocol' });
  });
});

describe('go-apiops lint_test.go: results', () => {
  const result = (severity: Severity, line = 1): LintResult => ({ rule: 'r', severity, message: 'm', given: '$', line, column: 1 });

  it('CountBySeverity: counts results at or above the given threshold (the report’s fail_count)', () => {
    const results = (['error', 'warn', 'info', 'hint'] as const).map((s) => result(s));
    expect(reportOf(results, 'error', false).failCount).toBe(1);
    expect(reportOf(results, 'warn', false).failCount).toBe(2);
    expect(reportOf(results, 'info', false).failCount).toBe(3);
    expect(reportOf(results, 'hint', false).failCount).toBe(4);
  });

  it('SortResults: deliberately different, kong-ctl orders results by their place in the file, whatever their severity', () => {
    // go-apiops sorts by severity, then line: error 5, error 10, warn 1, info 1. kong-ctl's report
    // reads the file top down (its docs: "Results are sorted by line and column").
    const ruleset = `rules:
  info-1:
    given: $.a
    severity: info
    then: { function: falsy }
  error-10:
    given: $.j
    severity: error
    then: { function: falsy }
  error-5:
    given: $.e
    severity: error
    then: { function: falsy }
  warn-1:
    given: $.a
    severity: warn
    then: { function: falsy }
`;
    const doc = 'a: 1\nb: 0\nc: 0\nd: 0\ne: 1\nf: 0\ng: 0\nh: 0\ni: 0\nj: 1\n';
    expect(lint(ruleset, doc).map((r) => [r.rule, r.line])).toEqual([
      ['info-1', 1],
      ['warn-1', 1],
      ['error-5', 5],
      ['error-10', 10],
    ]);
  });
});

describe('go-apiops lint_test.go: typedEnum and alphabetical integration', () => {
  it('validates typedEnum via lint', () => {
    const ruleset = `
rules:
  typed-enum-check:
    description: "Enum values must match type"
    given: $.properties.status
    severity: error
    then:
      function: typedEnum
`;
    const doc = '\nproperties:\n  status:\n    type: string\n    enum:\n      - active\n      - inactive\n';
    expect(lint(ruleset, doc)).toEqual([]);
    // And it can fail: a value of another type, at that value.
    expect(lint(ruleset, doc.replace('- inactive', '- 3')).map((r) => [r.message, r.line, r.column])).toEqual([
      ['Enum values must match type: Enum value `3` must be "string"', 7, 9],
    ]);
  });

  it('validates alphabetical tags', () => {
    const ruleset = `
rules:
  tags-alphabetical:
    description: "Tags must be alphabetical"
    given: "$"
    severity: warn
    then:
      field: tags
      function: alphabetical
      functionOptions:
        keyedBy: name
`;
    expect(lint(ruleset, '\ntags:\n  - name: alpha\n  - name: beta\n  - name: gamma\n')).toEqual([]);
    const unsorted = lint(ruleset, '\ntags:\n  - name: gamma\n  - name: alpha\n  - name: beta\n');
    expect(unsorted).toHaveLength(1);
    expect(unsorted[0]).toMatchObject({ severity: 'warn', line: 3, column: 5, message: 'Tags must be alphabetical: `gamma` must be placed after `alpha` (by `name`)' });
  });
});

describe('go-apiops functions_test.go: truthy, falsy, defined, undefined', () => {
  it('truthy passes for a non-empty string, true, non-zero numbers, a map, a slice', () => {
    for (const v of ['hello', true, 42, 3.14, { key: 'val' }, ['a']]) expect(fn('truthy', undefined, v), JSON.stringify(v)).toEqual([]);
  });

  it('truthy fails for nil, false, the empty string, zero', () => {
    for (const v of [undefined, null, false, '', 0]) expect(fn('truthy', undefined, v), String(v)).toEqual(['`p` property must be truthy']);
  });

  it('falsy passes for nil, false, the empty string, zero; fails for true, a non-empty string, a non-zero number', () => {
    for (const v of [undefined, null, false, '', 0]) expect(fn('falsy', undefined, v), String(v)).toEqual([]);
    for (const v of [true, 'hello', 42]) expect(fn('falsy', undefined, v), String(v)).toEqual(['`p` property must be falsy']);
  });

  it('defined passes for any value, fails for nil', () => {
    for (const v of ['hello', false, 0, '']) expect(fn('defined', undefined, v), String(v)).toEqual([]);
    expect(fn('defined', undefined, undefined)).toEqual(['`p` property must be defined']);
    // Deliberately different: Go's nil is both a missing value and YAML's null; Spectral's defined
    // (and kong-ctl's) fails only on a missing one: `x: null` is defined.
    expect(fn('defined', undefined, null)).toEqual([]);
  });

  it('undefined passes for nil, fails for any value', () => {
    expect(fn('undefined', undefined, undefined)).toEqual([]);
    for (const v of ['hello', false, 0]) expect(fn('undefined', undefined, v), String(v)).toEqual(['`p` property must be undefined']);
  });
});

describe('go-apiops functions_test.go: pattern', () => {
  it('passes when the value matches match, fails with "does not match" when not', () => {
    expect(fn('pattern', { match: '^hello' }, 'hello world')).toEqual([]);
    const result = fn('pattern', { match: '^goodbye' }, 'hello world');
    expect(result).toHaveLength(1);
    expect(result[0]).toContain('does not match');
    expect(result[0]).toBe('`hello world` does not match the expression `^goodbye`');
  });

  it('passes when the value does not match notMatch, fails with "must not match" when it does', () => {
    expect(fn('pattern', { notMatch: '^goodbye' }, 'hello world')).toEqual([]);
    const result = fn('pattern', { notMatch: '^hello' }, 'hello world');
    expect(result).toHaveLength(1);
    expect(result[0]).toContain('must not match');
  });

  it('handles delimited patterns with flags, in match and notMatch', () => {
    expect(fn('pattern', { match: '/^HELLO/i' }, 'hello world')).toEqual([]);
    expect(fn('pattern', { notMatch: '/^x-/i' }, 'X-Custom')).toHaveLength(1);
  });

  it('handles both match and notMatch together', () => {
    const opts = { match: '^[a-z]', notMatch: 'bad' };
    expect(fn('pattern', opts, 'good')).toEqual([]);
    expect(fn('pattern', opts, 'bad')).toEqual(['`bad` must not match the expression `bad`']);
  });

  it('returns nothing for nil input, and tests a number as text', () => {
    expect(fn('pattern', { match: '.*' }, undefined)).toEqual([]);
    expect(fn('pattern', { match: '^42$' }, 42)).toEqual([]);
    expect(fn('pattern', { match: '^43$' }, 42)).toHaveLength(1);
  });
});

describe('go-apiops functions_test.go: casing', () => {
  const table: Array<[value: string, type: string, passes: boolean]> = [
    ['verylongname', 'flat', true],
    ['VeryLongName', 'flat', false],
    ['name123', 'flat', true],
    ['veryLongName', 'camel', true],
    ['VeryLongName', 'camel', false],
    ['name', 'camel', true],
    ['VeryLongName', 'pascal', true],
    ['veryLongName', 'pascal', false],
    ['very-long-name', 'kebab', true],
    ['VeryLongName', 'kebab', false],
    ['VERY-LONG-NAME', 'cobol', true],
    ['very-long-name', 'cobol', false],
    ['very_long_name', 'snake', true],
    ['VeryLongName', 'snake', false],
    ['VERY_LONG_NAME', 'macro', true],
    ['very_long_name', 'macro', false],
  ];
  it.each(table)('%s as %s case: passes %s', (value, type, passes) => {
    expect(fn('casing', { type }, value)).toEqual(passes ? [] : [`\`${value}\` must be ${type} case`]);
  });

  it('handles the disallowDigits option', () => {
    const opts = { type: 'flat', disallowDigits: true };
    expect(fn('casing', opts, 'abc')).toEqual([]);
    expect(fn('casing', opts, 'abc123')).toHaveLength(1);
  });

  it('handles the separator option, and separator with allowLeading', () => {
    expect(fn('casing', { type: 'pascal', separator: { char: '-' } }, 'X-YourMighty-Header')).toEqual([]);
    expect(fn('casing', { type: 'pascal', separator: { char: '-' } }, 'X-yourMighty-Header')).toHaveLength(1);
    expect(fn('casing', { type: 'kebab', separator: { char: '/', allowLeading: true } }, '/some-path')).toEqual([]);
    expect(fn('casing', { type: 'kebab', separator: { char: '/' } }, '/some-path')).toHaveLength(1);
  });

  it('returns nothing for the empty string or nil input', () => {
    expect(fn('casing', { type: 'camel' }, '')).toEqual([]);
    expect(fn('casing', { type: 'camel' }, undefined)).toEqual([]);
  });
});

describe('go-apiops functions_test.go: alphabetical', () => {
  it('passes for a sorted simple array, fails once for an unsorted one', () => {
    expect(fn('alphabetical', undefined, ['a', 'b', 'c'])).toEqual([]);
    expect(fn('alphabetical', undefined, ['b', 'a', 'c'])).toEqual(['`b` must be placed after `a`']);
  });

  it('passes for a sorted array of objects keyedBy, fails once for an unsorted one', () => {
    const objects = (...names: string[]) => names.map((name) => ({ name }));
    expect(fn('alphabetical', { keyedBy: 'name' }, objects('alpha', 'beta', 'gamma'))).toEqual([]);
    expect(fn('alphabetical', { keyedBy: 'name' }, objects('gamma', 'alpha', 'beta'))).toEqual(['`gamma` must be placed after `alpha` (by `name`)']);
  });

  it('passes for a single-element or empty array, and nil input', () => {
    expect(fn('alphabetical', undefined, ['only'])).toEqual([]);
    expect(fn('alphabetical', undefined, [])).toEqual([]);
    expect(fn('alphabetical', undefined, undefined)).toEqual([]);
  });
});

describe('go-apiops functions_test.go: enumeration', () => {
  const values = ['users', 'articles', 'categories'];

  it('passes when the value is in the allowed set', () => {
    expect(fn('enumeration', { values }, 'users')).toEqual([]);
  });

  it('fails when the value is not in the allowed set', () => {
    const result = fn('enumeration', { values }, 'admin');
    expect(result).toHaveLength(1);
    // Deliberately different: go-apiops' "`admin` does not match any of the allowed values";
    // kong-ctl keeps Spectral's message.
    expect(result[0]).toBe('`admin` must be equal to one of the allowed values: `users`, `articles`, `categories`');
  });

  it('handles numeric values, and nil input', () => {
    expect(fn('enumeration', { values: [1, 2, 3] }, 2)).toEqual([]);
    expect(fn('enumeration', { values: ['a'] }, undefined)).toEqual([]);
  });
});

describe('go-apiops functions_test.go: length', () => {
  it('passes when the string length is within bounds', () => {
    expect(fn('length', { min: 1, max: 10 }, 'hello')).toEqual([]);
  });

  it('fails with "shorter" when the string is too short, "longer" when too long', () => {
    const short = fn('length', { min: 10 }, 'hi');
    expect(short).toHaveLength(1);
    expect(short[0]).toContain('shorter');
    expect(short[0]).toBe('`p` property must not be shorter than 10 characters (has 2)');
    const long = fn('length', { max: 3 }, 'hello');
    expect(long).toHaveLength(1);
    expect(long[0]).toContain('longer');
    expect(long[0]).toBe('`p` property must not be longer than 3 characters (has 5)');
  });

  it('checks array length and object property count', () => {
    expect(fn('length', { min: 2 }, ['a', 'b', 'c'])).toEqual([]);
    expect(fn('length', { min: 2 }, ['a'])).toEqual(['`p` property must not be shorter than 2 items (has 1)']);
    expect(fn('length', { min: 2 }, { a: 1, b: 2 })).toEqual([]);
    expect(fn('length', { min: 2 }, { a: 1 })).toEqual(['`p` property must not be shorter than 2 properties (has 1)']);
  });

  it('checks a numeric value directly', () => {
    expect(fn('length', { min: 10, max: 100 }, 50)).toEqual([]);
    expect(fn('length', { min: 10, max: 100 }, 5)).toEqual(['`p` property must not be less than 10 (is 5)']);
  });

  it('returns nothing for nil input', () => {
    expect(fn('length', { min: 1 }, undefined)).toEqual([]);
  });
});

describe('go-apiops functions_test.go: or', () => {
  const opts = { properties: ['title', 'description'] };

  it('passes when at least one property is defined, or several', () => {
    expect(fn('or', opts, { title: 'My API' })).toEqual([]);
    expect(fn('or', opts, { title: 'My API', description: 'desc' })).toEqual([]);
  });

  it('fails with "at least one" when no property is defined', () => {
    const result = fn('or', opts, { other: 'value' });
    expect(result).toHaveLength(1);
    expect(result[0]).toContain('at least one');
    expect(result[0]).toBe('at least one of `title` or `description` must be defined');
  });

  it('names three properties and counts the others when there are more than 4', () => {
    const result = fn('or', { properties: ['a', 'b', 'c', 'd', 'e'] }, {});
    expect(result).toHaveLength(1);
    expect(result[0]).toContain('other properties');
    expect(result[0]).toBe('at least one of `a`, `b`, `c` or 2 other properties must be defined');
    expect(fn('or', { properties: ['a', 'b', 'c', 'd'] }, {})).toEqual(['at least one of `a`, `b`, `c` or `d` must be defined']);
  });
});

describe('go-apiops functions_test.go: xor', () => {
  const opts = { properties: ['value', 'externalValue'] };

  it('passes when exactly one property is defined', () => {
    expect(fn('xor', opts, { value: 'foo' })).toEqual([]);
  });

  it('fails with "at least one" when no property is defined', () => {
    const result = fn('xor', opts, { other: 'foo' });
    expect(result).toHaveLength(1);
    expect(result[0]).toContain('at least one');
    expect(result[0]).toBe('at least one of `value` or `externalValue` must be defined');
  });

  it('fails with "just one" when several properties are defined', () => {
    const result = fn('xor', opts, { value: 'foo', externalValue: 'bar' });
    expect(result).toHaveLength(1);
    expect(result[0]).toContain('just one');
    expect(result[0]).toBe('just one of `value` and `externalValue` must be defined');
  });
});

describe('go-apiops functions_test.go: typedEnum', () => {
  it('passes when all enum values match the type', () => {
    expect(fn('typedEnum', undefined, { type: 'string', enum: ['a', 'b', 'c'] })).toEqual([]);
  });

  it("fails when enum values don't match the type", () => {
    const result = fn('typedEnum', undefined, { type: 'string', enum: ['a', 42, 'c'] });
    expect(result).toHaveLength(1);
    // Deliberately different: go-apiops says "enum value at index 1 (42) does not match type
    // \"string\""; kong-ctl keeps Spectral's message, reported at the value (enum[1]) itself.
    expect(result[0]).toBe('Enum value `42` must be "string"');
  });

  it('handles the integer type, and detects a non-integer in an integer enum', () => {
    expect(fn('typedEnum', undefined, { type: 'integer', enum: [1, 2, 3] })).toEqual([]);
    expect(fn('typedEnum', undefined, { type: 'integer', enum: [1, 3.14, 3] })).toHaveLength(1);
  });

  it('handles the boolean type', () => {
    expect(fn('typedEnum', undefined, { type: 'boolean', enum: [true, false] })).toEqual([]);
  });

  it('returns nothing when type or enum is missing, or for nil input', () => {
    expect(fn('typedEnum', undefined, { type: 'string' })).toEqual([]);
    expect(fn('typedEnum', undefined, { enum: ['a'] })).toEqual([]);
    expect(fn('typedEnum', undefined, undefined)).toEqual([]);
  });
});

describe('go-apiops functions_test.go: schema', () => {
  const schema = (s: Record<string, unknown>) => ({ schema: s });

  it('passes when the value matches the schema type, fails with "type" when not', () => {
    expect(fn('schema', schema({ type: 'string' }), 'hello')).toEqual([]);
    const result = fn('schema', schema({ type: 'string' }), 42);
    expect(result).toHaveLength(1);
    expect(result[0]).toContain('type');
    expect(result[0]).toBe('`p` property type must be string');
  });

  it('validates an array with minItems', () => {
    expect(fn('schema', schema({ type: 'array', minItems: 2 }), [1, 2, 3])).toEqual([]);
    expect(fn('schema', schema({ type: 'array', minItems: 2 }), [1])).toEqual(['`p` property must not have fewer than 2 items']);
  });

  it('validates an object with required properties, failing with "required"', () => {
    const s = schema({ type: 'object', required: ['name'] });
    expect(fn('schema', s, { name: 'test' })).toEqual([]);
    const result = fn('schema', s, { other: 'test' });
    expect(result).toHaveLength(1);
    expect(result[0]).toContain('required');
    expect(result[0]).toBe('`p` property must have required property `name`');
  });

  it('validates string minLength and numeric minimum', () => {
    expect(fn('schema', schema({ type: 'string', minLength: 5 }), 'hello')).toEqual([]);
    expect(fn('schema', schema({ type: 'string', minLength: 5 }), 'hi')).toHaveLength(1);
    expect(fn('schema', schema({ type: 'number', minimum: 10 }), 15)).toEqual([]);
    expect(fn('schema', schema({ type: 'number', minimum: 10 }), 5)).toEqual(['`p` property must be >= 10']);
  });

  it('nil input: deliberately different, Spectral says the value must exist', () => {
    // go-apiops reports nothing; Spectral's schema function (and kong-ctl's) reports a value that
    // is not there: "#{{print("property")}}must exist".
    expect(fn('schema', schema({ type: 'string' }), undefined)).toEqual(['`p` property must exist']);
  });

  it('validates the items schema of an array, and enum', () => {
    const items = schema({ type: 'array', items: { type: 'object' } });
    expect(fn('schema', items, [{ name: 'a' }, { name: 'b' }])).toEqual([]);
    expect(fn('schema', items, [{ name: 'a' }, 'b'])).toEqual(['`1` property type must be object']);
    expect(fn('schema', schema({ enum: ['a', 'b', 'c'] }), 'a')).toEqual([]);
    expect(fn('schema', schema({ enum: ['a', 'b', 'c'] }), 'd')).toHaveLength(1);
  });
});

describe('go-apiops functions_test.go: unreferencedReusableObject', () => {
  const opts = { reusableObjectsLocation: '#/definitions' };
  const ruleset = `rules:
  orphans:
    given: $.definitions
    then:
      function: unreferencedReusableObject
      functionOptions:
        reusableObjectsLocation: "#/definitions"
`;

  it('identifies unreferenced objects, each at its own place', () => {
    const doc = `definitions:
  User: { type: object }
  Orphan: { type: object }
  Address: { type: object }
paths:
  /users:
    get:
      responses:
        "200":
          schema: { $ref: "#/definitions/User" }
  /address:
    get:
      responses:
        "200":
          schema: { $ref: "#/definitions/Address" }
`;
    const results = lint(ruleset, doc);
    expect(results).toHaveLength(1);
    expect(results[0].message).toContain('Orphan');
    expect(results[0]).toMatchObject({ line: 3, column: 11, message: 'Potential orphaned reusable object has been detected: `#/definitions/Orphan`' });
  });

  it('returns nothing when all objects are referenced', () => {
    const doc = 'definitions:\n  User: { type: object }\npaths:\n  /users:\n    schema: { $ref: "#/definitions/User" }\n';
    expect(lint(ruleset, doc)).toEqual([]);
    // And the function itself, given the document as go-apiops gives it.
    const definitions = { User: { type: 'object' } };
    expect(fn('unreferencedReusableObject', opts, definitions, { definitions, paths: { '/users': { schema: { $ref: '#/definitions/User' } } } })).toEqual([]);
    expect(fn('unreferencedReusableObject', opts, definitions, { definitions })).toHaveLength(1);
  });

  it('returns nothing for nil input', () => {
    expect(fn('unreferencedReusableObject', opts, undefined, {})).toEqual([]);
  });
});

describe('go-apiops functions_test.go: GetCoreFunction', () => {
  it('refuses an unknown function', () => {
    // go-apiops says "unknown core function"; kong-ctl refuses the ruleset at the function's line.
    expect(refusal('rules:\n  r:\n    given: $\n    then:\n      function: nonexistent\n').message).toMatch(
      /^rules\.yaml:5:17: unknown function "nonexistent": kong-ctl runs Spectral's core functions: /,
    );
    expect(FUNCTIONS.nonexistent).toBeUndefined();
  });

  it('refuses bad functionOptions before linting (go-apiops reports them as a result)', () => {
    expect(() => FUNCTIONS.unreferencedReusableObject.prepare({})).toThrow(OptionsError);
    expect(() => FUNCTIONS.unreferencedReusableObject.prepare({ reusableObjectsLocation: 'definitions' })).toThrow(/JSON Pointer/);
  });
});

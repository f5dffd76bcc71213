import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../../cli/src/desired/load';
import { validateDesired } from '../../../cli/src/desired/validate';
import { brief } from './helpers';

async function check(text: string) {
  const r = await loadDesired({ files: ['-'], env: {}, readStdin: async () => text });
  return { r, problems: validateDesired(r).map(brief) };
}

describe('reading YAML and JSON', () => {
  it('duplicate keys are problems at the second key, named, with the line of the first', async () => {
    const { problems } = await check('_format_version: "3.0"\nservices:\n  - name: a\n    host: a\n    host: b\n');
    expect(problems).toEqual(["<stdin>:5:5: invalid YAML/JSON: Map keys must be unique: 'host' is already at line 4"]);
    // The parser points at the first one's empty value when it has none (decK's render test 003).
    const empty = await check('_format_version: "3.0"\nservices:\n  - name: a\n    routes:\n    routes:\n    - name: r\n');
    expect(empty.problems).toEqual(["<stdin>:5:5: invalid YAML/JSON: Map keys must be unique: 'routes' is already at line 4"]);
  });

  it('the top of the file must be a mapping; an empty file only lacks its version', async () => {
    expect((await check('- a\n- b\n')).problems).toEqual([
      '<stdin>:1:1: expected a mapping at the top of the file (_format_version, services, consumers, …)',
    ]);
    expect((await check('')).problems).toEqual([
      `<stdin>:1:1: missing _format_version: kong-ctl reads decK's format for Kong 3.x, which starts with _format_version: "3.0" (decK reads a file without it as a Kong 2.x one: \`kong-ctl convert -f FILE -o NEW\` converts it)`,
    ]);
  });

  it('a byte order mark does not shift positions, `<<` merge keys work as in decK, lists may be null', async () => {
    const text = '\ufeff_format_version: "3.0"\nx-common: &common\n  host: shared.internal\n  port: 8080\nservices:\n  - name: a\n    <<: *common\n  - name: b\n    host: b\n    routes:\nconsumers:\n';
    const { r, problems } = await check(text);
    // Anchors must live inside the lists: decK knows no other top-level key either.
    expect(problems).toEqual(["<stdin>:2:1: x-common: unknown field"]);
    expect(r.state.entities.map((e) => [e.key, e.fields])).toEqual([
      ['service:a', { name: 'a', host: 'shared.internal', port: 8080 }],
      ['service:b', { name: 'b', host: 'b' }],
    ]);
  });

  it('ill-typed lists and entities are reported, not loaded', async () => {
    const text = [
      '_format_version: "3.0"',
      'services: orders',
      'consumers:',
      '  - bob',
      '  - username: carol',
      '    id: carol-1',
      'routes:',
      '  - name: r',
      '    paths: [/r]',
      '    service: 42',
    ].join('\n');
    const { r, problems } = await check(text);
    expect(problems).toEqual([
      '<stdin>:2:11: services: expected an array',
      '<stdin>:4:5 consumers[0]: expected a record',
      '<stdin>:6:9 consumers[1]: id: expected a valid UUID',
      '<stdin>:10:14 routes[0]: service: expected a name or an id',
    ]);
    expect(r.state.entities.map((e) => e.key)).toEqual(['route:r', 'consumer:carol']);
  });
});

/**
 * go-apiops' test cases for the selectors its file commands share, run on kong-ctl's select.ts.
 *
 * Ported from Kong/go-apiops (Apache-2.0, Copyright Kong Inc.) yamlbasics/selectors_test.go at
 * 2202b1389419de1f3dff9049bcbdaed9b588de83, checked against yamlbasics/selectors.go at
 * 0e21140f9d4abb06a654802cb6d137351ebb06b4. Not ported: IsEmpty and GetSources (accessors of
 * the Go struct) and the panics on an uninitialized set or a nil node (Go internals).
 */
import { describe, expect, it } from 'vitest';
import { compileSelectors, matchLocations } from '../../../cli/src/file-ops/select';
import { parseDeckDocument } from '../../../cli/src/file-ops/document';

const doc = (text: string) => parseDeckDocument({ name: 'kong.yaml', text });

describe('go-apiops selectors: NewSelectorSet', () => {
  it('compiles a valid selector', () => {
    expect(compileSelectors(['$.a.b'])).toHaveLength(1);
  });

  it('returns an error for an invalid selector', () => {
    expect(() => compileSelectors(['$.a.b['])).toThrow("--selector '$.a.b[' is not a JSONPath query");
  });

  it('returns an empty set for no selectors, which finds nothing', () => {
    expect(compileSelectors([])).toEqual([]);
    expect(matchLocations(doc('a: {b: 1}'), compileSelectors([]))).toEqual([]);
  });
});

describe('go-apiops selectors: Find', () => {
  it('returns a list, empty when nothing matches', () => {
    expect(matchLocations(doc('{}'), compileSelectors(['$.a.b']))).toEqual([]);
  });

  it('returns each node once, in selector order, however many selectors find it (selectors.go)', () => {
    const d = doc('services: [{name: a, routes: [{name: r}]}, {name: b}]');
    const found = matchLocations(d, compileSelectors(['$.services[1]', '$..services[*]', '$.services[0]']));
    expect(found.map((m) => m.location)).toEqual([['services', 1], ['services', 0]]);
  });
});

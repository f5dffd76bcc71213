import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../../cli/src/desired/load';
import { PositionMap } from '../../../cli/src/desired/positions';
import { renderEnvTemplate } from '../../../cli/src/desired/template';
import type { Substitution } from '../../../cli/src/desired/template';

/** The mapping by its definition, one substitution after the other. */
function reference(subs: Substitution[], offset: number): number {
  let delta = 0;
  for (const s of subs) {
    if (offset < s.start) break;
    if (offset < s.end) return s.origStart;
    delta = s.origEnd - s.end;
  }
  return offset + delta;
}

const piece = fc.oneof(
  fc.constantFrom('abc', 'x: 1\n', ' ', '\n', '- ', '#'),
  fc.constantFrom('${{ env "DECK_A" }}', '${{ env "DECK_EMPTY" }}', '${{ env "DECK_LONG" }}', '${{ /* a comment */ }}'),
  fc.constantFrom('${{ env "DECK_UNSET" }}', '${{ env "HOME" }}', '${{ nonsense }}', '${{ env "DECK_A" | toInt }}'),
);
const ENV = { DECK_A: 'a', DECK_EMPTY: '', DECK_LONG: 'a much longer value than the expression' };

describe('positions in the file as written', () => {
  it('every offset of the rendered text maps back as substitution by substitution', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const text = pieces.join('');
        const rendered = renderEnvTemplate(text, ENV);
        const map = new PositionMap(text, rendered.substitutions);
        for (let o = 0; o <= rendered.text.length + 1; o++) expect(map.toOriginal(o), `offset ${o}`).toBe(reference(rendered.substitutions, o));
      }),
      { numRuns: 300 },
    );
  });

  it('among thousands of substitutions, exactly the values from the environment are masked', async () => {
    const lines = ['_format_version: "3.0"', 'consumers:'];
    const fromEnv = new Set<number>();
    for (let i = 0; i < 3000; i++) {
      const env = i % 3 !== 1;
      if (env) fromEnv.add(i);
      lines.push(`  - username: user-${i}`, '    keyauth_credentials:', `      - key: ${env ? '${{ env "DECK_KEY" }}' : `plain-${i}`}`);
      // A comment expression renders nothing: it must not mask the field after it.
      lines.push(`        tags: [t${i}] \${{ /* no value */ }}`);
    }
    const text = lines.join('\n');
    const r = await loadDesired({ files: ['-'], env: { DECK_KEY: 'secret' }, readStdin: async () => text });
    const creds = r.state.entities.filter((e) => e.kind === 'keyauth_credential');
    expect(creds).toHaveLength(3000);
    creds.forEach((e, i) => expect(e.masked, `credential ${i}`).toStrictEqual(fromEnv.has(i) ? ['key'] : undefined));
    // Positions after thousands of substitutions are still those of the file as written.
    const last = r.state.entities.filter((e) => e.kind === 'consumer').at(-1);
    expect(last?.source).toStrictEqual({ file: '<stdin>', line: 2 + 4 * 2999 + 1, column: 5, path: 'consumers[2999]' });
    expect(creds.at(-1)?.source).toStrictEqual({ file: '<stdin>', line: 2 + 4 * 2999 + 3, column: 9, path: 'consumers[2999].keyauth_credentials[0]' });
  });
});

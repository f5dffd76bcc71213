/**
 * decK's own integration tests of `deck gateway apply` (tests/integration/apply_test.go, the Kong
 * OSS 3.x cases), run as `kong-ctl apply --no-deletes` against the Admin API simulator: create
 * and update from a file without deleting what it does not name. Each case applies its first
 * file, then its second; the gateway must then dump as decK's expected state (decK compares its
 * own `dump` with the expected file; here `kong-ctl dump --with-defaults`, as data, as
 * deck-dump.test.ts compares decK's dumps), and the second file applied again must change
 * nothing. Files: test/fixtures/deck-apply (README there lists every case, its decK source, and
 * the cases not ported).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli, type CliRun } from '../commands/run-cli';
import { simSession } from '../commands/sim-session';
import { expectKongState } from './deck-sync-state';

const fixture = (p: string) => join(__dirname, '../../fixtures/deck-apply', p);

const session = simSession('kong-ctl-deck-apply-');
const { sim, addr, expectApplyWritesNothing } = session;

type Obj = Record<string, unknown>;

/** decK's `apply(ctx, file)`: `deck gateway apply FILE`, which must succeed. */
async function apply(file: string): Promise<CliRun> {
  const r = await runCli(['apply', '--no-deletes', '-f', fixture(file), ...addr()]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r;
}

/** decK's `sync(ctx, file)`: `deck gateway sync FILE`. */
async function sync(file: string): Promise<void> {
  const r = await runCli(['apply', '-f', fixture(file), ...addr()]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

/** null and absent are the same (docs/plan-json.md); decK's dump leaves null fields out, but not in a plugin's config. */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v && typeof v === 'object') {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
    return out;
  }
  return v;
}

/** decK's `dump()` then `assert.Equal(expected, out)`: kong-ctl's dump with Kong's defaults, as data. */
async function expectDump(expectedFile: string): Promise<void> {
  const r = await runCli(['dump', '-o', '-', '--with-defaults', ...addr()]);
  expect(r.code, r.stderr).toBe(0);
  expect(withoutNulls(parse(r.stdout))).toEqual(withoutNulls(parse(readFileSync(fixture(expectedFile), 'utf8'))));
}

/** The second file again: "No changes." and not one write, with or without --no-deletes' kept entities. */
async function expectIdempotent(file: string): Promise<void> {
  sim().resetStats();
  const r = await apply(file);
  expect(r.stdout).toContain('No changes.');
  expect(session.writes()).toBe(0);
}

describe('decK apply: Test_Apply_3x', () => {
  const cases: [name: string, first: string, second: string, expected: string][] = [
    ['applies multiple of the same entity', '001-same-type/service-01.yaml', '001-same-type/service-02.yaml', '001-same-type/expected-state.yaml'],
    // decK's 002-different-types/service-01.yaml is not stored: its service is 001's service-01
    // exactly (the expected state's `mock1`), which stands in for it (fixtures README).
    ['applies different entity types', '001-same-type/service-01.yaml', '002-different-types/plugin-01.yaml', '002-different-types/expected-state.yaml'],
    ['accepts consumer foreign keys', '003-foreign-keys-consumers/consumer-01.yaml', '003-foreign-keys-consumers/plugin-01.yaml', '003-foreign-keys-consumers/expected-state.yaml'],
    ['accepts service foreign keys', '005-foreign-keys-services/service-01.yaml', '005-foreign-keys-services/plugin-01.yaml', '005-foreign-keys-services/expected-state.yaml'],
    ['accepts route foreign keys <3.14.0', '006-foreign-keys-routes/route-01.yaml', '006-foreign-keys-routes/plugin-01.yaml', '006-foreign-keys-routes/expected-state.yaml'],
    ['accepts route updates', '008-update-existing-nested-entity/route-01.yaml', '008-update-existing-nested-entity/route-02.yaml', '008-update-existing-nested-entity/route-expected-state.yaml'],
  ];
  for (const [name, first, second, expected] of cases) {
    it(`${name} (${second.slice(0, 3)})`, async () => {
      await apply(first);
      await apply(second);
      await expectDump(expected);
      await expectIdempotent(second);
    });
  }

  it('updates existing entities (007)', async () => {
    // decK's 007-update-existing-entity/service-01.yaml is not stored: its service is the
    // expected-state-01 one, 001's service-01 exactly, which stands in for it (fixtures README).
    await apply('001-same-type/service-01.yaml');
    await expectDump('007-update-existing-entity/expected-state-01.yaml');
    const before = sim().store.all('services')[0];
    await apply('007-update-existing-entity/service-02.yaml');
    await expectDump('007-update-existing-entity/expected-state-02.yaml');
    // Updated in place, as decK does: the same service, not a new one.
    expect(sim().store.all('services').map((s) => s.id)).toEqual([before.id]);
    await expectIdempotent('007-update-existing-entity/service-02.yaml');
  });

  it('the second file alone, as `kong-ctl apply` (decK `sync`), would delete what the first made', async () => {
    // What makes these cases apply's: without --no-deletes the plan of 001's second file deletes
    // the first file's service. Its dry run says so and writes nothing.
    await apply('001-same-type/service-01.yaml');
    sim().resetStats();
    const r = await runCli(['apply', '--dry-run', '-f', fixture('001-same-type/service-02.yaml'), ...addr()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/- service mock1/);
    expect(session.writes()).toBe(0);
    await expectApplyWritesNothing(fixture('001-same-type/service-01.yaml'));
  });
});

describe('decK apply: Test_Apply_KeysAndKeySets (>=3.1.0)', () => {
  it('keys and key_sets (009): sync initial.yaml, apply update.yaml', async () => {
    await sync('009-keys-and-key_sets/initial.yaml');
    await apply('009-keys-and-key_sets/update.yaml');
    const PEM_SET = 'd46b0e15-ffbc-4b15-ad92-09ef67935345';
    expectKongState(sim().store, {
      keys: [
        {
          id: 'f21a7073-1183-4b1c-bd87-4d5b8b18eeb4',
          name: 'foo',
          kid: 'vsR8NCNV_1_LB06LqudGa2r-T0y4Z6VQVYue9IQz6A4',
          set: { id: 'd46b0e15-ffbc-4b15-ad92-09ef67935453' },
          jwk:
            '{"kty": "RSA", "kid": "vsR8NCNV_1_LB06LqudGa2r-T0y4Z6VQVYue9IQz6A4", "n": "v2KAzzfruqctVHaE9WSCWIg1xAhMwxTIK-i56WNqPtpWBo9AqxcVea8NyVctEjUNq_mix5CklNy3ru7ARh7rBG_LU65fzs4fY_uYalul3QZSnr61Gj-cTUB3Gy4PhA63yXCbYRR3gDy6WR_wfis1MS61j0R_AjgXuVufmmC0F7R9qSWfR8ft0CbQgemEHY3ddKeW7T7fKv1jnRwYAkl5B_xtvxRFIYT-uR9NNftixNpUIW7q8qvOH7D9icXOg4_wIVxTRe5QiRYwEFoUbV1V9bFtu5FLal0vZnLaWwg5tA6enhzBpxJNdrS0v1RcPpyeNP-9r3cUDGmeftwz9v95UQ", "e": "AQAB", "alg": "A256GCM"}',
        },
        {
          id: 'd7cef208-23c3-46f8-94e8-fa1eddf43f0a',
          name: 'baz',
          kid: 'IiI4ffge7LZXPztrZVOt26zgRt0EPsWPaxAmwhbJhDQ',
          set: { id: PEM_SET },
          jwk: '{\n      "kty": "RSA",\n      "kid": "IiI4ffge7LZXPztrZVOt26zgRt0EPsWPaxAmwhbJhDQ",\n      "use": "sig",\n      "alg": "RS256",\n      "e": "AQAB",\n      "n": "1Sn1X_y-RUzGna0hR00Wu64ZtY5N5BVzpRIby9wQ5EZVyWL9DRhU5PXqM3Y5gzgUVEQu548qQcMKOfs46PhOQudz-HPbwKWzcJCDUeNQsxdAEhW1uJR0EEV_SGJ-jTuKGqoEQc7bNrmhyXBMIeMkTeE_-ys75iiwvNjYphiOhsokC_vRTf_7TOPTe1UQasgxEVSLlTsen0vtK_FXcpbwdxZt02IysICcX5TcWX_XBuFP4cpwI9AS3M-imc01awc1t7FE5UWp62H5Ro2S5V9YwdxSjf4lX87AxYmawaWAjyO595XLuIXA3qt8-irzbCeglR1-cTB7a4I7_AclDmYrpw"\n  }',
        },
        {
          id: '03ad4618-82bb-4375-b9d1-edeefced868d',
          name: 'my-pem-key',
          kid: 'my-pem-key',
          set: { id: PEM_SET },
          pem: {
            public_key:
              '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqvxMU4LTcHBYmCuLMhMP\nDWlZdcNRXuJkw26MRjLBxXjnPAyDolmuFFMIqPDlSaJkkzu2tn7m9p8KB90wLiMC\nIbDjseruCO+7EaIRY4d6RdpE+XowCjJu7SbC2CqWBAzKkO7WWAunO3KOsQRk1NEK\nI51CoZ26LPYQvjIGIY2/pPxq0Ydl9dyURqVfmTywni1WeScgdEZXuy9WIcobqBST\n8vV5Q5HJsZNFLR7Fy61+HHfnQiWIYyi6h8QRT+Css9y5KbH7KuN6tnb94UZaOmHl\nYeoHcP/CqviZnQOf5804qcVpPKbsGU8jupTriiJZU3a8f59eHV0ybI4ORXYgDSWd\nFQIDAQAB\n-----END PUBLIC KEY-----',
            private_key:
              '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAqvxMU4LTcHBYmCuLMhMPDWlZdcNRXuJkw26MRjLBxXjnPAyD\nolmuFFMIqPDlSaJkkzu2tn7m9p8KB90wLiMCIbDjseruCO+7EaIRY4d6RdpE+Xow\nCjJu7SbC2CqWBAzKkO7WWAunO3KOsQRk1NEKI51CoZ26LPYQvjIGIY2/pPxq0Ydl\n9dyURqVfmTywni1WeScgdEZXuy9WIcobqBST8vV5Q5HJsZNFLR7Fy61+HHfnQiWI\nYyi6h8QRT+Css9y5KbH7KuN6tnb94UZaOmHlYeoHcP/CqviZnQOf5804qcVpPKbs\nGU8jupTriiJZU3a8f59eHV0ybI4ORXYgDSWdFQIDAQABAoIBAEOOqAGfATe9y+Nj\n4P2J9jqQU15qK65XuQRWm2npCBKj8IkTULdGw7cYD6XgeFedqCtcPpbgkRUERYxR\n4oV4I5F4OJ7FegNh5QHUjRZMIw2Sbgo8Mtr0jkt5MycBvIAhJbAaDep/wDWGz8Y1\nPDmx1lW3/umoTjURjA/5594+CWiABYzuIi4WprWe4pIKqSKOMHnCYVAD243mwJ7y\nvsatO3LRKYfLw74ifCYhWNBHaZwfw+OO2P5Ku0AGhY4StOLCHobJ8/KkkmkTlYzv\nrcF4cVdvpBfdTEQed0oD7u3xfnp3GpNU3wZFsZJRSVXouhroaMC7en4uMc+5yguW\nqrPIoEkCgYEAxm1UllY9rRfGV6884hdBFKDjE825BC1VlqcRIUEB4CpJvUF/6+A3\ngx5c4nKDJAFQMrWpr4jOcq3iLiWnJ73e80b+JpWFODdt16g2KCOINs1j8vf2U6Og\nx+Vo8vHek/Uomz1n5W0oXrJ4VedHl9NYa8r/YrVXd4k4WcaA0TXmMhMCgYEA3Jit\nzrEmrQIrLK66RgXF2RafA5c3atRHWBb5ddnGk0bV90cfsTsaDMDvpy7ZYgojBNpw\n7U6AYzqnPro6cHEginV97BFb6oetMvOWvljUob+tpnYOofgwk2hw7PeChViX7iS9\nujgTygi8ZIc2G0r7xntH+v6WHKp4yNQiCAyfGTcCgYAYKgZMDJKUOrn3wapraiON\nzI36wmnOnWq33v6SCyWcU+oI9yoJ4pNAD3mGRiW8Q8CtfDv+2W0ywAQ0VHeHunKl\nM7cNodXIY8+nnJ+Dwdf7vIV4eEPyKZIR5dkjBNtzLz7TsOWvJdzts1Q+Od0ZGy7A\naccyER1mvDo1jJvxXlv7KwKBgQDDBK9TdUVt2eb1X5sJ4HyiiN8XO44ggX55IAZ1\n64skFJGARH5+HnPPJpo3wLEpfTCsT7lZ8faKwwWr7NNRKJHOFkS2eDo8QqoZy0NP\nEBUa0evgp6oUAuheyQxcUgwver0GKbEZeg30pHh4nxh0VHv1YnOmL3/h48tYMEHN\nv+q/TQKBgQCXQmN8cY2K7UfZJ6BYEdguQZS5XISFbLNkG8wXQX9vFiF8TuSWawDN\nTrRHVDGwoMGWxjZBLCsitA6zwrMLJZs4RuetKHFou7MiDQ69YGdfNRlRvD5QCJDc\nY0ICsYjI7VM89Qj/41WQyRHYHm7E9key3avMGdbYtxdc0Ku4LnD4zg==\n-----END RSA PRIVATE KEY-----',
          },
        },
      ],
      key_sets: [
        { name: 'bar', id: 'd46b0e15-ffbc-4b15-ad92-09ef67935453' },
        { name: 'bar-new', id: PEM_SET },
      ],
    });
    await expectIdempotent('009-keys-and-key_sets/update.yaml');
  });
});

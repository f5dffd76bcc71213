/**
 * Key sets and keys through the whole pipeline, against the Admin API simulator: keys nested
 * under their set (Kong's declarative form) or at the top naming it (decK's), matched by kid
 * within their set, private key material never printed, a dump that re-applies as a no-op.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

// Real keys Kong loads (resty.openssl takes RSA, EC and OKP JWKs, never "oct", and whole PEMs only),
// generated once with Node's crypto: EC P-256 private keys for the signing key and its rotation
// (their private parts must never be printed), an Ed25519 public key, an EC P-256 public PEM.
const SIGNING = { kty: 'EC', crv: 'P-256', x: '8FB-KaopdGmZJTowWmCttSQCVvSRUyMStx-zJfvDfWo', y: '7WLmpSK3__duUxMDfEBzBReYApD99DNzezKfacvKJ8s', d: '8oxRKDXiSVGLWXGkIKp2-mrkhnh_INhiU2X41N8BOBk' };
const ROTATED = { kty: 'EC', crv: 'P-256', x: 'op5YVq9U4bva7dBJ0a-6U89OFLP_UbVe67Q2pcgXkzk', y: '81F_-rlRO5DfR-oFmjlvk3_zaKqLKia_ok-BeMzhlbo', d: 'fTIIuTZDqQ020XhrYkvDQCWmHFfpwO7amXF-V83geic' };
const ED25519 = { kty: 'OKP', crv: 'Ed25519', x: 'VT0bK-XsEeAhQ8nmAK0W6GHuoPcIDAZF9Q-GY4eBonw' };
const PRIVATE = SIGNING.d;
const jwk = (kid: string, key: object = SIGNING) => JSON.stringify({ kid, ...key });
const PUBLIC_PEM = [
  '-----BEGIN PUBLIC KEY-----',
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEULv5ef1DaFwfFpGPBCfNMF388eop',
  'GSTQd9lNyX4MrvbfjKvv7XgPKROeHnRpmR8Nu+/mHUSeQNjcDhkC6WoD2A==',
  '-----END PUBLIC KEY-----',
].join('\\n');

const FILE = `_format_version: "3.0"
key_sets:
- name: signing
  keys:
  - kid: signing-1
    name: signing-key-1
    jwk: '${jwk('signing-1')}'
- name: rotating
keys:
- kid: rotating-1
  set: rotating
  jwk: '${jwk('rotating-1', ED25519)}'
- kid: loose-1
  pem:
    public_key: "${PUBLIC_PEM}"
`;

const { sim, addr, write, path, expectApplyWritesNothing } = simSession('kong-ctl-keys-');
let file = '';
beforeAll(() => void (file = write('kong.yaml', FILE)));

describe('key sets and keys', () => {
  it('plan, apply, then no drift and no writes; key material is never printed', async () => {
    const d1 = await runCli(['diff', '-f', file, ...addr()]);
    expect(d1.code, d1.stderr).toBe(2);
    expect(d1.stdout).toContain('+ key set signing');
    expect(d1.stdout).toContain('+ key signing-1 (key set signing)');
    expect(d1.stdout).toContain('+ key loose-1');
    expect(d1.stdout).toMatch(/Plan: 5 to add, 0 to change, 0 to destroy\./);
    expect(d1.stdout).not.toContain(PRIVATE);
    const json = await runCli(['diff', '-f', file, ...addr(), '-o', 'json']);
    expect(json.stdout).not.toContain(PRIVATE);

    const a1 = await runCli(['apply', '-f', file, ...addr()]);
    expect(a1.code, a1.stderr + a1.stdout).toBe(0);
    const signing = sim().store.all('key_sets').find((s) => s.name === 'signing')!;
    const key = sim().store.all('keys').find((k) => k.kid === 'signing-1')!;
    expect(key.set).toEqual({ id: signing.id });
    expect(sim().store.all('keys').find((k) => k.kid === 'loose-1')!.set).toBeNull();

    expect((await runCli(['diff', '-f', file, ...addr()])).code).toBe(0);
    await expectApplyWritesNothing(file);
  });

  it('a rotated jwk is an update, masked; a key that moves to another set is the same kid elsewhere: a new key', async () => {
    await runCli(['apply', '-f', file, ...addr()]);
    const rotated = write('rotated.yaml', FILE.replace(jwk('signing-1'), jwk('signing-1', ROTATED)));
    const d = await runCli(['diff', '-f', rotated, ...addr()]);
    expect(d.code).toBe(2);
    expect(d.stdout).toContain('~ key signing-1 (key set signing)\n    jwk: [masked] → [masked]');
    expect(d.stdout).not.toContain(ROTATED.d);

    const moved = write('moved.yaml', FILE.replace('  set: rotating\n', '  set: signing\n'));
    const m = await runCli(['diff', '-f', moved, ...addr()]);
    expect(m.stdout).toContain('+ key rotating-1 (key set signing)');
    expect(m.stdout).toContain('- key rotating-1 (key set rotating)');
  });

  it('dump nests keys under their set, and re-applying the dump writes nothing', async () => {
    await runCli(['apply', '-f', file, ...addr()]);
    const out = path('dump.yaml');
    expect((await runCli(['dump', ...addr(), '-o', out])).code).toBe(0);
    const doc = parse(readFileSync(out, 'utf8'));
    expect(doc.key_sets).toEqual([
      { name: 'rotating', keys: [{ kid: 'rotating-1', jwk: jwk('rotating-1', ED25519) }] },
      { name: 'signing', keys: [{ kid: 'signing-1', name: 'signing-key-1', jwk: jwk('signing-1') }] },
    ]);
    expect(doc.keys.map((k: { kid: string }) => k.kid)).toEqual(['loose-1']);
    await expectApplyWritesNothing(out);
  });

  it("a jwk whose kid is not the key's, that is not JSON or not a key Kong loads, or a pem that is not one, is refused offline with Kong's words", async () => {
    const bad = write(
      'bad-keys.yaml',
      `_format_version: "3.0"\nkeys:\n- kid: a\n  jwk: '${jwk('b')}'\n- kid: c\n  jwk: 'not json'\n- kid: d\n  jwk: '${jwk('d')}'\n  pem: {public_key: x}\n` +
        `- kid: e\n  jwk: '${JSON.stringify({ kty: 'oct', kid: 'e', k: 'c2VjcmV0' })}'\n`,
    );
    const r = await runCli(['validate', '-f', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:3:8: error: keys[0]: kid: kid in jwk.kid must be equal to keys.kid`);
    expect(r.stderr).toContain(`${bad}:6:8: error: keys[1]: jwk: could not json decode jwk string`);
    expect(r.stderr).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7:\\d+: error: keys\\[2\\]: .*jwk.*pem`));
    expect(r.stderr).toContain(`${bad}:9:8: error: keys[2]: pem: could not load public key`);
    expect(r.stderr).toContain(`${bad}:11:8: error: keys[3]: jwk: could not load JWK, likely not a valid key (resty.openssl: not yet supported jwk type "oct")`);
  });
});

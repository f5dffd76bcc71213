/**
 * kongSecretMatches against the vector of Kong's own spec for kong/plugins/oauth2/secret.lua
 * (spec/03-plugins/25-oauth2/05-kdf_spec.lua): hash("tofu", { salt = "a litte bit, just a little bit" }).
 */
import { pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { kongSecretMatches } from '../../../cli/src/kinds/oauth2-secret';

const KONG_VECTOR = '$pbkdf2-sha512$i=10000,l=32$YSBsaXR0ZSBiaXQsIGp1c3QgYSBsaXR0bGUgYml0$z6ysNworexAhDELywIDi0ba0B0T7F/MBZ6Ige9lWRYI';

describe('kongSecretMatches', () => {
  it("accepts the secret of Kong's own vector and refuses any other", () => {
    expect(kongSecretMatches('tofu', KONG_VECTOR)).toBe(true);
    expect(kongSecretMatches('tofu ', KONG_VECTOR)).toBe(false);
    expect(kongSecretMatches('Tofu', KONG_VECTOR)).toBe(false);
    expect(kongSecretMatches('', KONG_VECTOR)).toBe(false);
  });

  it('a damaged hash or salt is a mismatch, as in Kong', () => {
    expect(kongSecretMatches('tofu', KONG_VECTOR.replace('z6ys', 'z6yt'))).toBe(false);
    expect(kongSecretMatches('tofu', KONG_VECTOR.replace('YSBs', 'YSBt'))).toBe(false);
    // Kong writes its own constants back when it re-derives: other parameters never verify.
    expect(kongSecretMatches('tofu', KONG_VECTOR.replace('i=10000', 'i=9999'))).toBe(false);
  });

  it('a hash Kong derived with a random salt verifies', () => {
    const salt = Buffer.from('0123456789abcdef');
    const hash = pbkdf2Sync('s3cret', salt, 10000, 32, 'sha512');
    const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
    const stored = `$pbkdf2-sha512$i=10000,l=32$${b64(salt)}$${b64(hash)}`;
    expect(kongSecretMatches('s3cret', stored)).toBe(true);
    expect(kongSecretMatches('s3cret!', stored)).toBe(false);
  });

  it('cannot tell for anything but PBKDF2 in PHC form', () => {
    expect(kongSecretMatches('tofu', 'tofu')).toBeUndefined();
    expect(kongSecretMatches('tofu', '$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g')).toBeUndefined();
    expect(kongSecretMatches('tofu', '$2b$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01')).toBeUndefined();
    expect(kongSecretMatches('tofu', KONG_VECTOR.replace('sha512', 'md4'))).toBeUndefined();
    expect(kongSecretMatches('tofu', KONG_VECTOR.replace('i=10000', 'i=99999999'))).toBeUndefined();
  });
});

/**
 * redirectUriProblem follows kong/plugins/oauth2/daos.lua validate_uri over LuaSocket's
 * url.parse: a scheme and a host are required, a fragment is refused; LuaSocket's own reading
 * decides the odd cases.
 */
import { describe, expect, it } from 'vitest';
import { redirectUriProblem } from '../../../cli/src/desired/oauth2-redirect-uri';

describe('redirectUriProblem', () => {
  it('takes what Kong takes', () => {
    for (const uri of [
      'https://app.example/callback',
      'http://localhost:8080/cb?x=1',
      'com.example.app://oauth/cb',
      'https://user:pw@app.example:8443/cb;p',
      'https://[::1]:8443/cb',
      // LuaSocket takes the authority up to the first '/': this '#' is part of the host.
      'https://app.example#x',
    ]) {
      expect(redirectUriProblem(uri), uri).toBeUndefined();
    }
  });

  it('refuses what has no scheme or no host, in Kong\'s words', () => {
    for (const uri of ['', 'app.example/cb', '/cb', 'https:/app.example/cb', 'urn:ietf:wg:oauth:2.0:oob', 'https://', 'https://user@:443/cb']) {
      expect(redirectUriProblem(uri), uri).toBe(`cannot parse '${uri}'`);
    }
  });

  it('refuses a fragment, even an empty one', () => {
    expect(redirectUriProblem('https://app.example/cb#frag')).toBe("fragment not allowed in 'https://app.example/cb#frag'");
    expect(redirectUriProblem('https://app.example/cb#')).toBe("fragment not allowed in 'https://app.example/cb#'");
  });
});

/**
 * A config this project's plugins would refuse although their Schema accepts it (checks across
 * fields, PEM keys, regexes, secrets) is an error of `validate`, at the field the plugin names:
 * on Kong, the plugin would answer every request of that route with 500.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../../cli/src/desired/load';
import { validateDesired } from '../../../cli/src/desired/validate';
import { PROJECT_PLUGINS } from '../../../plugins/registry';

const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

async function problems(text: string): Promise<string[]> {
  const r = await loadDesired({ files: ['-'], env: {}, readStdin: async () => text });
  return validateDesired(r).map((d) => `${d.source?.line}:${d.source?.column} ${d.source?.path}: ${d.message}`);
}

describe("project plugins' own config checks", () => {
  it('every project plugin has one', () => {
    for (const p of PROJECT_PLUGINS) expect(p.configProblems({}), p.Name).toBeInstanceOf(Array);
  });

  it('report where the plugin points: jwt-claims keys, regexes and header mappings', async () => {
    const text = [
      '_format_version: "3.0"',
      'services:',
      '  - name: s',
      '    host: s.internal',
      '    plugins:',
      '      - name: jwt-claims',
      '        config:',
      '          issuers:',
      '            - issuer: https://idp.example',
      '              public_keys:',
      `                - ${JSON.stringify(pem)}`,
      '                - "-----BEGIN PUBLIC KEY-----\\nnot a key\\n-----END PUBLIC KEY-----"',
      '          claim_rules:',
      '            - path: scope',
      '              regex: "(unclosed"',
      '          claims_to_headers:',
      '            - claim: sub',
      '              header: Cookie',
    ].join('\n');
    const found = await problems(text);
    expect(found).toHaveLength(3);
    expect(found[0]).toBe(
      '12:19 services[0].plugins[0]: config.issuers[0].public_keys[1]: not a readable PEM public key (SPKI "PUBLIC KEY", "RSA PUBLIC KEY" or an X.509 "CERTIFICATE")',
    );
    expect(found[1]).toBe('15:22 services[0].plugins[0]: config.claim_rules[0].regex: not a valid regular expression');
    expect(found[2]).toBe('18:23 services[0].plugins[0]: config.claims_to_headers[0].header: "Cookie" cannot carry a claim');
  });

  it('a problem across fields is reported at the config', async () => {
    const text = [
      '_format_version: "3.0"',
      'plugins:',
      '  - name: jwt-claims',
      '    config:',
      '      issuers: [{ issuer: "https://idp.example", jwks_uri: "https://idp.example/jwks" }]',
      '      header_names: []',
    ].join('\n');
    expect(await problems(text)).toEqual([
      '5:7 plugins[0]: config: header_names, cookie_names, query_param_names: the token must be looked for somewhere',
    ]);
  });

  it('webhook-signature secrets and circuit-breaker bounds; a valid config has no problem', async () => {
    const text = [
      '_format_version: "3.0"',
      'plugins:',
      '  - name: webhook-signature',
      '    config:',
      '      scheme: standard-webhooks',
      '      secrets: ["whsec_not base64!"]',
      '  - name: circuit-breaker',
      '    config:',
      '      open_duration_ms: 60000',
      '      max_open_duration_ms: 1000',
      '  - name: webhook-signature',
      '    route: r',
      '    config:',
      '      scheme: standard-webhooks',
      '      secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]',
      'services:',
      '  - name: s',
      '    host: s.internal',
      '    routes: [{ name: r, paths: [/r] }]',
    ].join('\n');
    const found = await problems(text);
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^6:17 plugins\[0\]: config\.secrets\[0\]: /);
    expect(found[0]).not.toContain('not base64!');
    expect(found[1]).toMatch(/^10:29 plugins\[1\]: config\.max_open_duration_ms: 1000 is less than open_duration_ms/);
  });

  it('jwt-claims with an issuer no audience list applies to: a warning (RFC 8725 §3.9), not an error', async () => {
    const text = [
      '_format_version: "3.0"',
      'plugins:',
      '  - name: jwt-claims',
      '    config:',
      '      issuers:',
      '        - { issuer: "https://a.example", jwks_uri: "https://a.example/jwks" }',
      '        - { issuer: "https://b.example", jwks_uri: "https://b.example/jwks", audiences: [orders] }',
      '  - name: jwt-claims',
      '    route: r',
      '    config:',
      '      issuers: [{ issuer: "https://a.example", jwks_uri: "https://a.example/jwks" }]',
      '      audiences: [orders]',
      'services:',
      '  - name: s',
      '    host: s.internal',
      '    routes: [{ name: r, paths: [/r] }]',
    ].join('\n');
    const r = await loadDesired({ files: ['-'], env: {}, readStdin: async () => text });
    const found = validateDesired(r);
    expect(found.map((d) => [d.severity, `${d.source?.line}:${d.source?.column} ${d.message}`])).toEqual([
      [
        'warning',
        '6:11 config.issuers[0]: no audiences apply to "https://a.example": every token it signed passes, also those for other applications (RFC 8725 §3.9); set audiences (top level or per issuer)',
      ],
    ]);
  });

  it('jwt-claims naming consumers from several issuers: a warning', async () => {
    const text = [
      '_format_version: "3.0"',
      'plugins:',
      '  - name: jwt-claims',
      '    config:',
      '      consumer_claim: sub',
      '      audiences: [orders]',
      '      issuers:',
      '        - { issuer: "https://a.example", jwks_uri: "https://a.example/jwks" }',
      '        - { issuer: "https://b.example", jwks_uri: "https://b.example/jwks" }',
    ].join('\n');
    const r = await loadDesired({ files: ['-'], env: {}, readStdin: async () => text });
    expect(validateDesired(r).map((d) => [d.severity, `${d.source?.line}:${d.source?.column} ${d.message}`])).toEqual([
      [
        'warning',
        '5:23 config.consumer_claim: "sub" names a consumer whichever of the 2 issuers signed the token: each must be trusted to name every consumer (or use one plugin per issuer)',
      ],
    ]);
  });
});

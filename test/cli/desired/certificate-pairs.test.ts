/**
 * certificates.lua's and ca_certificates.lua's Lua entity checks (Kong 3.4), which `/schemas`
 * shows only as field sources: validate.ts `checkCertificates`.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../cli/src/model/errors';
import { validateFile, yamlValidator } from './validate-yaml';

const PEMS = path.resolve(__dirname, '../../fixtures/cert-pairs');
const pem = (name: string) =>
  '|\n' +
  readFileSync(path.join(PEMS, name), 'utf8')
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');

const diagnostics = yamlValidator('kong-ctl-cert-pairs-');
const problem = (d: Diagnostic) => `${d.severity === 'warning' ? 'warning ' : ''}${d.source?.path ?? ''}: ${d.message}`;
const validate = async (yaml: string) => (await diagnostics(yaml)).map(problem);
const problems = async (file: string) => (await validateFile(file)).map(problem);

describe("Kong's certificate entity checks, offline", () => {
  it('a key that is not the certificate\'s: "certificate does not match key"', async () => {
    expect(
      await validate(`certificates:
- cert: ${pem('rsa.crt')}
  key: ${pem('other-rsa.key')}
- cert: ${pem('ec.crt')}
  key: ${pem('ec.key')}
  cert_alt: ${pem('rsa.crt')}
  key_alt: ${pem('other-rsa.key')}
`),
    ).toEqual(['certificates[0]: key: certificate does not match key', 'certificates[1]: key_alt: alternative certificate does not match key']);
  });

  it('an alternative certificate of the same key type as the main one', async () => {
    expect(
      await validate(`certificates:
- cert: ${pem('rsa.crt')}
  key: ${pem('rsa.key')}
  cert_alt: ${pem('leaf.crt')}
  key_alt: ${pem('leaf.key')}
`),
    ).toEqual([
      'certificates[0]: cert_alt: certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type',
    ]);
  });

  it('matching pairs of two key types pass', async () => {
    expect(
      await validate(`certificates:
- cert: ${pem('rsa.crt')}
  key: ${pem('rsa.key')}
  cert_alt: ${pem('ec.crt')}
  key_alt: ${pem('ec.key')}
`),
    ).toEqual([]);
  });

  it('a CA certificate that is not a CA, or comes with another', async () => {
    const bundle = `|\n${['rsa.crt', 'ec.crt'].map((f) => readFileSync(path.join(PEMS, f), 'utf8').trim().split('\n').map((l) => `    ${l}`).join('\n')).join('\n')}`;
    expect(
      await validate(`ca_certificates:
- cert: ${pem('leaf.crt')}
- cert: ${bundle}
- cert: ${pem('rsa.crt')}
`),
    ).toEqual([
      'ca_certificates[0]: cert: certificate does not appear to be a CA because it is missing the "CA" basic constraint',
      'ca_certificates[1]: cert: please submit only one certificate at a time',
    ]);
  });

  it("an expired CA certificate (decK's own, from 2022) is a warning: Kong refuses it, the clock made it so", async () => {
    expect(await problems(path.resolve(__dirname, '../../fixtures/deck-sync/009-skip-ca-cert/kong3x.yaml'))).toEqual([
      'warning ca_certificates[0]: cert: certificate expired, "Not After" time is in the past (Apr 14 19:18:39 2022 GMT): Kong refuses to create or update it',
    ]);
  });
});

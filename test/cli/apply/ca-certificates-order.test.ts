/**
 * a service names its trusted CA certificates by id in `ca_certificates` (an array of
 * uuids, not a foreign key). Kong >= 3.5 refuses to delete a CA certificate a service still names
 * (kong/db/dao/ca_certificates.lua `Ca_certificates:delete` -> `referenced_by_others`, code 19,
 * HTTP 400 via kong/api/endpoints.lua ERRORS_HTTP_CODES; Kong/kong PR #11789), and a service
 * naming a CA that does not exist yet fails TLS verification at proxy time. decK orders both
 * by its levels: CA certificates are created before services, and deleted after them
 * (go-database-reconciler pkg/diff/order.go: CACertificate -> Service; diff.go createUpdate then delete).
 */
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { runCli } from '../commands/run-cli';
import { ADMIN, liveNodeAt } from './versioned-node';
import { nockSession } from '../commands/nock-session';

const { write } = nockSession('kong-ctl-review-ca-', { unaskedAllowed: true });

const OLD_CA = '2f8b1c3e-6a4d-4e7b-9c1a-0d2e3f4a5b6c';
const NEW_CA = '7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
const SERVICE = '68f608f5-3f92-48ed-b0df-402c8473dec5';

const pem = (tag: string) => `-----BEGIN CERTIFICATE-----\nMIIB${tag}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END CERTIFICATE-----`;

/** Live service as Kong 3.4.2 returns it (fixture 056), trusting the old CA. */
const liveService = {
  path: '/v1',
  tags: null,
  id: SERVICE,
  retries: 5,
  protocol: 'https',
  port: 8443,
  name: 'billing',
  connect_timeout: 60000,
  updated_at: 1795466991,
  read_timeout: 60000,
  client_certificate: null,
  enabled: true,
  ca_certificates: [OLD_CA],
  host: 'billing.internal',
  created_at: 1795466991,
  tls_verify: true,
  write_timeout: 60000,
  tls_verify_depth: null,
};

const liveCa = { id: OLD_CA, cert: pem('OLD'), cert_digest: 'a'.repeat(64), tags: null, created_at: 1795466991 };

/** The new CA as the file gives it: one OpenSSL reads, as Kong's typedefs.certificate requires (test/fixtures/files/kong.yaml's). */
const NEW_CA_PEM = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBkTCCATegAwIBAgIUKDx+Q7SPc/OvMh08qmewqJ9JEG4wCgYIKoZIzj0EAwIw',
  'HjEcMBoGA1UEAwwTRXhhbXBsZSBJbnRlcm5hbCBDQTAeFw0yNjExMjMyMTI2MjFa',
  'Fw0zNjExMjAyMTI2MjFaMB4xHDAaBgNVBAMME0V4YW1wbGUgSW50ZXJuYWwgQ0Ew',
  'WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT0kxR6R/gARZ++4EsWLl4ox6g5YEk6',
  'mksXNQOiStU4G7T1aBZC3+OxnaM1Yni3+k8xFu7zUM2dsQPKttTdXjwoo1MwUTAd',
  'BgNVHQ4EFgQU+qVD4zwTGegqlUaySP4NH4ngZwEwHwYDVR0jBBgwFoAU+qVD4zwT',
  'GegqlUaySP4NH4ngZwEwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF',
  'AiBCDtiCbUeXb+um36a5CTFDTV5A55b6T/the4w/Dc1yxwIhANmTRvBfUjMIc2Z+',
  'tEGZBEl0rnUn1ImgnrM1E7jFfaep',
  '-----END CERTIFICATE-----',
].join('\n');

const file = `_format_version: "3.0"
ca_certificates:
- id: ${NEW_CA}
  cert: |
    ${NEW_CA_PEM.split('\n').join('\n    ')}
services:
- name: billing
  url: https://billing.internal:8443/v1
  tls_verify: true
  ca_certificates: [${NEW_CA}]
`;

interface Recorded {
  events: string[];
}

/** Kong >= 3.5 (version 3.6.1 here) answering the three writes of the rotation. */
function kongAnswers(): Recorded {
  liveNodeAt('3.6.1', { services: [liveService], ca_certificates: [liveCa] });
  const rec: Recorded = { events: [] };
  let serviceNames = [OLD_CA];
  let newCaExists = false;
  nock(ADMIN)
    .put(`/ca_certificates/${NEW_CA}`)
    .reply(async (_uri, b) => {
      rec.events.push('PUT new CA');
      await new Promise((r) => setTimeout(r, 30));
      newCaExists = true;
      return [200, { ...(b as object), id: NEW_CA, cert_digest: 'b'.repeat(64), created_at: 1795466999 }];
    })
    .patch(`/services/${SERVICE}`)
    .reply((_uri, b) => {
      rec.events.push(`PATCH service (new CA exists: ${newCaExists})`);
      serviceNames = (b as { ca_certificates?: string[] }).ca_certificates ?? [];
      return [200, { ...liveService, ...(b as object) }];
    })
    .delete(`/ca_certificates/${OLD_CA}`)
    .reply(() => {
      rec.events.push('DELETE old CA');
      // Kong >= 3.5, kong/db/dao/ca_certificates.lua Ca_certificates:delete
      if (serviceNames.includes(OLD_CA)) {
        return [400, { code: 19, name: 'referenced by others', message: `ca certificate ${OLD_CA} is still referenced by services (id = ${SERVICE})` }];
      }
      return [204];
    });
  return rec;
}

describe('CA certificate rotation on a service (ca_certificates)', () => {
  it('deletes the old CA only after the service stopped naming it (Kong >= 3.5 refuses otherwise)', async () => {
    kongAnswers();
    const r = await runCli(['apply', '-f', write('ca.yaml', file), '--kong-addr', ADMIN]);
    expect(r.stdout).toContain('Plan: 1 to add, 1 to change, 1 to destroy.');
    expect(r.stdout + r.stderr).not.toContain('still referenced by services');
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('creates the new CA before the service names it (else TLS verification to the upstream fails meanwhile)', async () => {
    const rec = kongAnswers();
    await runCli(['apply', '-f', write('ca2.yaml', file), '--kong-addr', ADMIN]);
    expect(rec.events).toContain('PATCH service (new CA exists: true)');
  });
});

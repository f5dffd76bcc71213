/**
 * What a set-aside writes in place of the unique value it gives up (apply/stand-ins.ts). A CA
 * certificate's stand-in must pass Kong's checks of ca_certificates.lua (one certificate, not
 * expired, the CA basic constraint) and hold a digest no other certificate holds.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STAND_IN_CA_SUBJECT, plannedStandIn, serialNumber, standIn } from '../../../cli/src/apply/stand-ins';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('stand-ins for set-asides', () => {
  it('a name takes a random suffix that keeps it a valid name', async () => {
    const a = await standIn('service', 'name', 'orders');
    const b = await standIn('service', 'name', 'orders');
    expect(a).toMatch(/^orders-kong-ctl-[0-9a-f]{8}$/);
    expect(b).not.toBe(a);
    expect(await standIn('vault', 'prefix', 'env-a')).toMatch(/^env-a-kong-ctl-[0-9a-f]{8}$/);
  });

  it('a CA certificate takes a fresh self-signed CA certificate that Kong accepts', async () => {
    const before = Date.now();
    const pem = (await standIn('ca_certificate', 'cert', '-----BEGIN CERTIFICATE-----\n…')) as string;
    expect(pem.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(1);
    const cert = new X509Certificate(pem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe(`CN=${STAND_IN_CA_SUBJECT}`);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyType).toBe('ec');
    // Valid now, and for a week (the time to finish by hand a run that stopped after it).
    expect(Date.parse(cert.validFrom)).toBeLessThanOrEqual(before);
    expect(Date.parse(cert.validTo)).toBeGreaterThan(before + 6 * DAY_MS);
    expect(Date.parse(cert.validTo)).toBeLessThan(before + 8 * DAY_MS);
    // The basic constraint is critical, as a CA's should be (RFC 5280 4.2.1.9): as OpenSSL, which
    // Kong's resty.openssl wraps, reads it.
    const text = execFileSync('openssl', ['x509', '-noout', '-ext', 'basicConstraints'], { input: pem, encoding: 'utf8' });
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
  });

  it('two CA stand-ins never share a digest (Kong keeps it unique)', async () => {
    const digest = (pem: unknown) => createHash('sha256').update(new X509Certificate(String(pem)).raw).digest('hex');
    const [a, b] = await Promise.all([standIn('ca_certificate', 'cert', 'x'), standIn('ca_certificate', 'cert', 'x')]);
    expect(digest(a)).not.toBe(digest(b));
    expect(new X509Certificate(String(a)).serialNumber).not.toBe(new X509Certificate(String(b)).serialNumber);
  });

  it('a serial is positive and in minimal DER whatever the random bytes (OpenSSL refuses a padded one)', () => {
    for (const first of [0x00, 0x01, 0x3f, 0x7f, 0x80, 0xff]) {
      for (const second of [0x00, 0x7f, 0x80, 0xff]) {
        const serial = serialNumber(Buffer.from([first, second, 1, 2]));
        expect(serial[0], `from ${first}, ${second}`).toBeGreaterThanOrEqual(0x40);
        expect(serial[0], `from ${first}, ${second}`).toBeLessThanOrEqual(0x7f);
        expect([...serial.subarray(1)]).toEqual([second, 1, 2]);
      }
    }
  });

  it('a plan asking whether set-asides break its cycles gets distinct values without waiting', () => {
    expect(plannedStandIn('consumer', 'username', 'alice', 0)).toBe('alice-kong-ctl-00000000');
    expect(plannedStandIn('ca_certificate', 'cert', 'x', 0)).not.toBe(plannedStandIn('ca_certificate', 'cert', 'x', 1));
  });
});

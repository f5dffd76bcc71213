/**
 * What a set-aside (temporary-release.ts) writes in place of the unique value it gives up for a
 * moment. A name takes a suffix no one holds and stays valid. A CA certificate is unique by its
 * content's digest, and Kong checks that content (a certificate, unexpired, with the CA basic
 * constraint): its stand-in is a CA certificate made for the moment, self-signed with a key that
 * is thrown away, so nothing can ever be signed by it, and unique because that key is new.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import type { Kind } from '../model/entity';

// pkijs is typed against the DOM's WebCrypto; Node's is the same API under its own types.
type EngineCrypto = ConstructorParameters<typeof import('pkijs').CryptoEngine>[0]['crypto'];
type EngineKey = Parameters<import('pkijs').PublicKeyInfo['importKey']>[0];

/** Long enough for a run that stops after the set-aside to be finished later by hand; Kong refuses an expired one. */
const STAND_IN_DAYS = 7;
/** Clocks differ: the stand-in is valid from a little before kong-ctl's now. */
const STAND_IN_BACKDATE_MS = 60 * 60 * 1000;
export const STAND_IN_CA_SUBJECT = 'kong-ctl hand-over stand-in';

/** The value the set-aside of `field` writes, for an entity holding `before` there. */
export async function standIn(kind: Kind, field: string, before: unknown): Promise<unknown> {
  if (kind === 'ca_certificate' && field === 'cert') return standInCaCertificate();
  return suffixed(before, randomBytes(4).toString('hex'));
}

/**
 * The same without waiting, for a plan asking only whether set-asides would break its cycles
 * (diff/replacements.ts): a value that claims nothing another change holds.
 */
export function plannedStandIn(kind: Kind, field: string, before: unknown, n: number): unknown {
  if (kind === 'ca_certificate' && field === 'cert') return `(stand-in CA certificate ${n})`;
  return suffixed(before, '00000000');
}

function suffixed(before: unknown, suffix: string): string {
  return `${String(before)}-kong-ctl-${suffix}`;
}

/**
 * Random bytes as a certificate's serial: positive and in minimal DER (RFC 5280 4.1.2.2), since
 * the bytes are encoded as given. The first byte neither has its top bit set (a negative number)
 * nor is zero (a padding byte OpenSSL refuses as "illegal padding" unless the next one has its top
 * bit set, which 1 serial in 256 would have met).
 */
export function serialNumber(random: Buffer): Buffer {
  const out = Buffer.from(random);
  out[0] = (out[0] & 0x7f) | 0x40;
  return out;
}

/** A fresh self-signed CA certificate (ECDSA P-256), as PEM. */
async function standInCaCertificate(): Promise<string> {
  // Loaded only when a CA certificate is set aside, which most runs never do.
  const [pkijs, asn1js] = await Promise.all([import('pkijs'), import('asn1js')]);
  const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as EngineCrypto });
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: serialNumber(randomBytes(16)) });
  const name = () => new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: STAND_IN_CA_SUBJECT }) });
  cert.subject.typesAndValues.push(name());
  cert.issuer.typesAndValues.push(name());
  const now = Date.now();
  cert.notBefore.value = new Date(now - STAND_IN_BACKDATE_MS);
  cert.notAfter.value = new Date(now + STAND_IN_DAYS * 24 * 60 * 60 * 1000);
  const constraints = new pkijs.BasicConstraints({ cA: true });
  cert.extensions = [new pkijs.Extension({ extnID: '2.5.29.19', critical: true, extnValue: constraints.toSchema().toBER(false), parsedValue: constraints })];
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey as unknown as EngineKey, engine);
  await cert.sign(keys.privateKey as unknown as EngineKey, 'SHA-256', engine);
  const der = Buffer.from(cert.toSchema(true).toBER(false));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return ['-----BEGIN CERTIFICATE-----', ...lines, '-----END CERTIFICATE-----', ''].join('\n');
}

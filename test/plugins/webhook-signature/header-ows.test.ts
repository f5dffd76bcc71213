/**
 * Only SP and HTAB around a header value are not part of it (RFC 9110 §5.5: a field value
 * excludes leading and trailing OWS, and OWS is SP / HTAB, §5.6.3). Found by the differential test
 * against the Standard Webhooks reference library (sdk-oracles.test.ts, property 1, with an id
 * ending in U+00A0): the plugin trimmed header values with String#trim, which also strips U+00A0,
 * U+3000, U+FEFF, U+2028..., so an id ending in one was signed without it and a genuine delivery
 * was refused. nginx strips only spaces and tabs, so Kong hands the plugin the rest of the value.
 */
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import { compiled, verdict } from './pure';

const T = 1_700_000_000;
const secret = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;
const body = '{"type":"invoice.paid"}';
const sign = (id: string) => new Webhook(secret).sign(id, new Date(T * 1000), body);

describe('white space around header values', () => {
  it.each(['msg_1\u00a0', '\u3000msg_1', 'msg_1\ufeff', 'msg\u2028', '\u200bmsg'])('a webhook-id %j is signed with its white space, as the reference library signs it', (id) => {
    const headers: Array<[string, string]> = [['webhook-id', id], ['webhook-timestamp', String(T)], ['webhook-signature', sign(id)]];
    vi.spyOn(Date, 'now').mockReturnValueOnce(T * 1000); // the library's tolerance reads the clock
    expect(() => new Webhook(secret).verify(body, Object.fromEntries(headers), { jsonParse: false })).not.toThrow();
    expect(verdict(compiled({ secrets: [secret] }), headers, body, T)).toBe('ok');
  });

  it('an id of white space that is not OWS is an id, not an empty header', () => {
    const headers: Array<[string, string]> = [['webhook-id', '\u00a0'], ['webhook-timestamp', String(T)], ['webhook-signature', sign('\u00a0')]];
    expect(verdict(compiled({ secrets: [secret] }), headers, body, T)).toBe('ok');
  });

  it('SP and HTAB around a value are not part of it (a header of only those is empty)', () => {
    const headers: Array<[string, string]> = [['webhook-id', ' \tmsg_1\t '], ['webhook-timestamp', ` ${T}\t`], ['webhook-signature', `\t${sign('msg_1')} `]];
    expect(verdict(compiled({ secrets: [secret] }), headers, body, T)).toBe('ok');
    expect(verdict(compiled({ secrets: [secret] }), [['webhook-id', ' \t '], headers[1]!, headers[2]!], body, T)).toBe('malformed_header: webhook-id');
  });

  it('custom: a signed {id} and the entries of a separated header follow the same rule', () => {
    const config = compiled({
      scheme: 'custom',
      secrets: ['acme'],
      custom: { signature_header: 'X-Sig', signature_separator: ',', id_header: 'X-Id', signed_content: '{id}:{body}' },
    });
    const hex = (id: string) => createHmac('sha256', 'acme').update(`${id}:${body}`).digest('hex');
    expect(verdict(config, [['X-Id', 'd-1\u3000'], ['X-Sig', `other, ${hex('d-1\u3000')}\t`]], body, T)).toBe('ok');
    expect(verdict(config, [['X-Id', 'd-1\u3000'], ['X-Sig', hex('d-1')]], body, T)).toBe('signature_mismatch');
  });
});


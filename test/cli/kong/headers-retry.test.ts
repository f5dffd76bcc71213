import { describe, expect, it } from 'vitest';
import { parseHeader, parseHeaders } from '../../../cli/src/kong/headers';
import { backoffDelay, parseRetryAfter } from '../../../cli/src/kong/retry';
import { classifyTransportError, transportFailureToError } from '../../../cli/src/kong/transport-errors';
import { KongCtlError } from '../../../cli/src/model/errors';

function usageError(fn: () => unknown): KongCtlError {
  try {
    fn();
  } catch (err) {
    return err as KongCtlError;
  }
  throw new Error('expected a throw');
}

describe('parseHeader', () => {
  it('splits at the first colon and trims', () => {
    expect(parseHeader('Kong-Admin-Token:  abc:def ')).toEqual(['Kong-Admin-Token', 'abc:def']);
  });

  it.each([
    ['Kong-Admin-Token', /expected 'Name: value'/],
    [': x', /expected 'Name: value'/],
    ['Bad Name: x', /not a valid header name/],
    ['Kong-Admin-Token: ', /value is empty \(is the environment variable/],
    ['X: a\r\nInjected: b', /line break/],
  ])('refuses %j as E_USAGE', (raw, msg) => {
    const err = usageError(() => parseHeader(raw));
    expect(err).toBeInstanceOf(KongCtlError);
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toMatch(msg);
  });

  it('lets a later header replace an earlier one of the same name (flags over KONG_CTL_HEADERS)', () => {
    expect(parseHeaders(['kong-admin-token: from-env', 'X-A: 1', 'Kong-Admin-Token: from-flag'])).toEqual({
      'Kong-Admin-Token': 'from-flag',
      'X-A': '1',
    });
  });
});

describe('backoff and Retry-After', () => {
  it('draws full jitter below a doubling, capped ceiling', () => {
    const t = { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 };
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, t))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(3, { ...t, random: () => 0 })).toBe(0);
  });

  it('reads delta-seconds and HTTP-dates, caps them, and ignores junk', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now, 60_000)).toBe(3000);
    expect(parseRetryAfter('0.25', now, 60_000)).toBe(250);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now, 60_000)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now, 60_000)).toBe(0);
    expect(parseRetryAfter('3600', now, 60_000)).toBe(60_000);
    expect(parseRetryAfter('soon', now, 60_000)).toBeUndefined();
    expect(parseRetryAfter(undefined, now, 60_000)).toBeUndefined();
  });
});

describe('classifyTransportError', () => {
  const ctx = { baseUrl: 'http://localhost:8001', method: 'GET', path: '/', idempotent: true, retries: 0, timeoutSeconds: 10 };

  it('uses the parts of an AggregateError with an empty message (Node 20 happy eyeballs)', () => {
    const agg = Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:8001'), new Error('connect ECONNREFUSED 127.0.0.1:8001')], ''), {
      code: 'ECONNREFUSED',
    });
    const f = classifyTransportError({ code: 'ECONNREFUSED', message: '', cause: agg })!;
    expect(f).toMatchObject({ kind: 'network', retryable: true });
    expect(transportFailureToError(f, ctx).message).toBe(
      'cannot reach Kong Admin API at http://localhost:8001: connect ECONNREFUSED ::1:8001; connect ECONNREFUSED 127.0.0.1:8001',
    );
  });

  it('does not retry DNS failures that will not heal, but does retry EAI_AGAIN', () => {
    expect(classifyTransportError({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND kong' })).toMatchObject({ kind: 'network', retryable: false });
    expect(classifyTransportError({ code: 'EAI_AGAIN', message: 'getaddrinfo EAI_AGAIN kong' })).toMatchObject({ kind: 'network', retryable: true });
  });

  it('knows timeouts and TLS failures, and nothing else', () => {
    expect(classifyTransportError({ code: 'ECONNABORTED', message: 'timeout of 100ms exceeded' })).toMatchObject({ kind: 'timeout' });
    expect(classifyTransportError({ code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' })).toMatchObject({ kind: 'tls', retryable: false });
    expect(classifyTransportError(new TypeError('x is not a function'))).toBeUndefined();
    expect(classifyTransportError({ code: 'ERR_BAD_OPTION', message: 'bad' })).toBeUndefined();
  });

  it('adds the certificate hint to TLS errors', () => {
    const f = classifyTransportError({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', message: 'unable to verify the first certificate' })!;
    const e = transportFailureToError(f, { ...ctx, baseUrl: 'https://kong:8444' });
    expect(e.code).toBe('E_KONG_TLS');
    expect(e.message).toBe(
      'TLS error talking to Kong Admin API at https://kong:8444: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE); the server certificate is not trusted: pass the CA that signed it with --ca-cert FILE (or, for a throwaway lab only, --tls-skip-verify)',
    );
  });
});

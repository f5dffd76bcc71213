import { describe, expect, it } from 'vitest';
import { headerSafe, refusalFor } from '../../../plugins/jwt-claims/responses';

describe('refusalFor (RFC 6750 §3)', () => {
  it('no token: a bare challenge with realm, no error code', () => {
    expect(refusalFor({ code: 'no_token' }, 'api')).toEqual({
      status: 401,
      message: 'Unauthorized',
      headers: { 'WWW-Authenticate': 'Bearer realm="api"' },
    });
    expect(refusalFor({ code: 'no_token' }, null).headers).toEqual({ 'WWW-Authenticate': 'Bearer' });
  });
  it('invalid token and invalid request are 401, insufficient scope 403', () => {
    expect(refusalFor({ code: 'expired' }, null)).toEqual({
      status: 401,
      message: 'Token expired',
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token", error_description="Token expired"' },
    });
    expect(refusalFor({ code: 'multiple_tokens' }, 'r').headers['WWW-Authenticate']).toBe(
      'Bearer realm="r", error="invalid_request", error_description="Multiple tokens provided"',
    );
    expect(refusalFor({ code: 'rule', detail: 'scope' }, null)).toEqual({
      status: 403,
      message: 'Claim scope does not satisfy the required rule',
      headers: {
        'WWW-Authenticate':
          'Bearer error="insufficient_scope", error_description="Claim scope does not satisfy the required rule"',
      },
    });
  });
  it('too many headers or query arguments is a 400 invalid_request', () => {
    expect(refusalFor({ code: 'too_many_fields' }, null)).toEqual({
      status: 400,
      message: 'Too many headers or query parameters',
      headers: {
        'WWW-Authenticate': 'Bearer error="invalid_request", error_description="Too many headers or query parameters"',
      },
    });
  });

  it('keys unavailable is a retryable 503', () => {
    expect(refusalFor({ code: 'keys_unavailable' }, null, 30)).toEqual({
      status: 503,
      message: 'Signing keys unavailable',
      headers: { 'Retry-After': '30' },
    });
    expect(refusalFor({ code: 'keys_unavailable' }, null, 0).headers['Retry-After']).toBe('1');
  });
  it('keeps quotes, backslashes, control and non-ASCII characters out of the header', () => {
    expect(headerSafe('a"b\\c\r\nd é')).toBe('a?b?c??d ?');
    const refusal = refusalFor({ code: 'missing_claim', detail: 'x"y' }, 're"alm');
    expect(refusal.headers['WWW-Authenticate']).toBe(
      'Bearer realm="re?alm", error="invalid_token", error_description="Missing required claim x?y"',
    );
  });
});

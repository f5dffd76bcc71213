/**
 * The checks, in the order the handler runs them (cheapest first, the body only read once the
 * headers are fine): headers → timestamp → declared size → (body) → size → signature. Pure: the
 * compiled config, the headers, the body and `now` come in, a Failure or nothing comes out.
 */
import type { CompiledConfig } from './config';
import { fail, type Failure, type Result } from './failures';
import type { HeaderMap } from './headers';
import type { Presented } from './schemes';
import { anySignatureMatches } from './signature';

/**
 * Both directions, like the Standard Webhooks reference libraries: older than `tolerance` or
 * more than `tolerance` ahead is refused; exactly `tolerance` either way is accepted. `now` is
 * whole seconds, as the senders' timestamps are.
 */
export function checkTimestamp(seconds: number, now: number, tolerance: number): Failure | undefined {
  if (now - seconds > tolerance) return { code: 'timestamp_too_old' };
  if (seconds - now > tolerance) return { code: 'timestamp_too_new' };
  return undefined;
}

/** Everything that can be checked before the body is read. */
export function checkHeaders(config: CompiledConfig, headers: HeaderMap, now: number): Result<Presented> {
  const presented = config.scheme.extract(headers);
  if (!presented.ok) return presented;
  const ts = presented.value.timestamp;
  if (config.scheme.timestamped && ts) {
    const failure = checkTimestamp(ts.seconds, Math.floor(now), config.tolerance);
    if (failure) return { ok: false, failure };
  }
  return presented;
}

/** Content-Length above the maximum: refused before the body is asked for. Chunked bodies
 *  (no Content-Length) are measured once read. */
export function declaredTooLarge(headers: HeaderMap, maxBodySize: number): boolean {
  const declared = headers.get('content-length')?.[0];
  return declared !== undefined && /^[0-9]+$/.test(declared) && Number(declared) > maxBodySize;
}

export function checkBody(config: CompiledConfig, presented: Presented, body: Buffer): Failure | undefined {
  if (body.length > config.maxBodySize) return fail('body_too_large').failure;
  const values = { id: presented.id, timestamp: presented.timestamp?.text, body };
  if (!anySignatureMatches(config.keys, config.scheme.algorithm, config.scheme.content, values, presented.signatures)) {
    return fail('signature_mismatch').failure;
  }
  return undefined;
}

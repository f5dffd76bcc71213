/** The plugin's checks without Kong: compile a config, then run access's checks in order. */
import { compileConfig, type CompiledConfig } from '../../../plugins/webhook-signature/config';
import type { Failure } from '../../../plugins/webhook-signature/failures';
import { headerMap } from '../../../plugins/webhook-signature/headers';
import { checkBody, checkHeaders } from '../../../plugins/webhook-signature/verify';

export function compiled(raw: Record<string, unknown>): CompiledConfig {
  const result = compileConfig(raw);
  if (!result.ok) throw new Error(`config refused: ${result.errors.join('; ')}`);
  return result.config;
}

/** 'ok' or the failure code (and header) the plugin would answer with. */
export function verdict(config: CompiledConfig, headers: Array<[string, string]>, body: string | Buffer, now: number): string {
  const map: Record<string, string[]> = {};
  for (const [k, v] of headers) (map[k.toLowerCase()] ??= []).push(v);
  const presented = checkHeaders(config, headerMap(map), now);
  if (!presented.ok) return describe(presented.failure);
  const failure = checkBody(config, presented.value, Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'));
  return failure ? describe(failure) : 'ok';
}

function describe(failure: Failure): string {
  return failure.header ? `${failure.code}: ${failure.header}` : failure.code;
}

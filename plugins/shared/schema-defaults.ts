/**
 * Fill a config with its schema's defaults, the way Kong does before it sends the config to the
 * plugin server. Kong already sends complete configs; doing it again here keeps a plugin correct
 * when it is started by something else (a test harness, a hand-written StartInstance) and keeps the
 * defaults written down once, in the Schema.
 */
import type { KongElement, KongField, KongFieldList } from './kong-schema';
import { schemaEntries } from './kong-schema';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function cloneDefault(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function fillElement(element: KongElement | undefined, value: unknown): unknown {
  if (element?.type === 'record' && element.fields && isPlainObject(value)) {
    return applySchemaDefaults(element.fields, value);
  }
  return value;
}

function fillField(field: KongField, value: unknown): unknown {
  let out = value;
  if ((out === undefined || out === null) && field.default !== undefined) out = cloneDefault(field.default);
  if (field.type === 'record' && field.fields && isPlainObject(out)) {
    return applySchemaDefaults(field.fields, out);
  }
  if ((field.type === 'array' || field.type === 'set') && Array.isArray(out)) {
    return out.map((item) => fillElement(field.elements, item));
  }
  return out;
}

/** A copy of `input` with every absent field set to its default; unknown keys (Kong's own
 *  `__seq__`, `route_id`…) are kept. */
export function applySchemaDefaults(fields: KongFieldList, input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input };
  for (const [name, field] of schemaEntries(fields)) {
    const value = fillField(field, input[name]);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

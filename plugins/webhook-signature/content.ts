/**
 * What a sender signs, as a list of parts fed to the HMAC one after the other (the body is never
 * copied into a bigger buffer). Built-in schemes have fixed lists; the custom scheme's
 * `signed_content` template is parsed once per config.
 */
export type ContentPart = { kind: 'literal'; bytes: Buffer } | { kind: 'id' } | { kind: 'timestamp' } | { kind: 'body' };

export interface ContentValues {
  id?: string;
  /** The timestamp header's text as sent (signed as text, not re-formatted). */
  timestamp?: string;
  body: Buffer;
}

const literal = (text: string): ContentPart => ({ kind: 'literal', bytes: Buffer.from(text, 'utf8') });
const ID: ContentPart = { kind: 'id' };
const TIMESTAMP: ContentPart = { kind: 'timestamp' };
const BODY: ContentPart = { kind: 'body' };

/** Standard Webhooks: `id.timestamp.body`. */
export const STANDARD_CONTENT: ContentPart[] = [ID, literal('.'), TIMESTAMP, literal('.'), BODY];
/** Stripe: `t.body`. */
export const STRIPE_CONTENT: ContentPart[] = [TIMESTAMP, literal('.'), BODY];
/** Slack: `v0:timestamp:body`. */
export const SLACK_CONTENT: ContentPart[] = [literal('v0:'), TIMESTAMP, literal(':'), BODY];
/** GitHub, Shopify: the body alone. */
export const BODY_CONTENT: ContentPart[] = [BODY];

const PLACEHOLDER = /\{([^{}]*)\}/g;
const PLACEHOLDERS: Record<string, ContentPart> = { id: ID, timestamp: TIMESTAMP, body: BODY };

/**
 * `signed_content` to parts. The body must appear exactly once: a template without it would let
 * any body pass with a signature made for another one.
 */
export function parseTemplate(template: string): { ok: true; parts: ContentPart[] } | { ok: false; error: string } {
  const parts: ContentPart[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const part = PLACEHOLDERS[match[1]!];
    if (!part) return { ok: false, error: `unknown placeholder {${match[1]}} (known: {id}, {timestamp}, {body})` };
    if (match.index! > last) parts.push(literal(template.slice(last, match.index)));
    parts.push(part);
    last = match.index! + match[0].length;
  }
  if (last < template.length) parts.push(literal(template.slice(last)));
  const rest = parts.filter((p): p is { kind: 'literal'; bytes: Buffer } => p.kind === 'literal').map((p) => p.bytes.toString('utf8'));
  if (rest.some((text) => text.includes('{') || text.includes('}'))) return { ok: false, error: 'unbalanced { or }' };
  const bodies = parts.filter((p) => p.kind === 'body').length;
  if (bodies !== 1) return { ok: false, error: 'must contain {body} exactly once' };
  return { ok: true, parts };
}

export function uses(parts: readonly ContentPart[], kind: 'id' | 'timestamp'): boolean {
  return parts.some((p) => p.kind === kind);
}

export const Name = 'webhook-signature';
export const Version = '0.1.0';

/**
 * Kong runs plugins by descending priority. 980 puts webhook-signature
 * - after ip-restriction (990): allow-listing a provider's addresses is cheaper than an HMAC,
 * - before acl (950), request-size-limiting (951) and rate-limiting (910), so forged deliveries
 *   are refused before they count against anything,
 * - and, above all, before request-transformer (801) and every other plugin that may rewrite the
 *   body: the signature covers the bytes the provider sent, not what a later plugin makes of them.
 *   Kong's own standard-webhooks plugin (760) would run after it.
 */
export const Priority = 980;

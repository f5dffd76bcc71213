export const Name = 'idempotency';
export const Version = '0.1.0';

/**
 * Kong runs plugins by descending priority. 900 puts idempotency
 * - after every authentication plugin (jwt 1450, key-auth 1250, basic-auth 1100, hmac-auth 1030):
 *   keys are scoped by the authenticated consumer, so it must be known,
 * - after request-size-limiting (951) and acl (950): a refused request never claims a key, and a
 *   consumer removed from an ACL gets no replay,
 * - after rate-limiting (910): replays count against the client's rate limit like any request,
 * - before request-transformer (801) and the other plugins that rewrite the request: the
 *   fingerprint is taken on what the client sent.
 * A plugin that refuses later in access (or a failed upstream) leaves the claim unfinished; the
 * log phase releases it.
 */
export const Priority = 900;

export const Name = 'circuit-breaker';
export const Version = '0.1.0';

/**
 * Kong runs plugins by descending priority. 50 puts circuit-breaker late in `access`:
 * - after authentication (jwt 1450, key-auth 1250…), acl (950), rate-limiting (910) and
 *   idempotency (900): a request those refuse never asks the breaker, and an open circuit does
 *   not hide a 401/403/429 behind a 503;
 * - after proxy-cache (100): cached answers keep being served while the upstream is down;
 * - before request-termination (2) and post-function guards (-1000). A plugin that refuses a
 *   request AFTER the breaker let it through leaves that call open until `pending_timeout_ms`,
 *   when it is taken back out of the counts (see docs/circuit-breaker.md), so few should.
 */
export const Priority = 50;

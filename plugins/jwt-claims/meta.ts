export const Name = 'jwt-claims';
export const Version = '0.1.0';

/**
 * Kong runs plugins by descending priority. 1475 puts jwt-claims
 * - after cors (2000: preflights are answered before any token is asked for) and session (1900),
 * - just before Kong's own auth plugins — jwt (1450), oauth2 (1400), key-auth (1250),
 *   ldap-auth (1200), basic-auth (1100), hmac-auth (1030) — so a bad token is refused before any
 *   consumer lookup, and a bundled jwt plugin on the same route sees an already verified token,
 * - and well before ip-restriction (990), acl (950) and rate-limiting (910), so unauthenticated
 *   traffic is refused before it uses up anyone's rate limit.
 */
export const Priority = 1475;

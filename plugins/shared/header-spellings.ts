/**
 * One header, several names. Kong runs nginx with `underscores_in_headers on`, so `X_User_Id` is
 * a request header of its own: nginx forwards it, and `kong.service.request.set_header` /
 * `clear_header` on `X-User-Id` leave it alone (ngx.req.set_header matches a name ignoring case
 * only; lua-nginx-module's "_" -> "-" rewrite there is `#if 0`). Yet CGI, WSGI, PHP and Rack read
 * both as `HTTP_X_USER_ID`, and `$http_x_user_id` (kong.request.get_header) matches both too. A
 * plugin that vouches for a header must therefore clear every spelling a client sent, each by its
 * own name, and a plugin that reads a credential from a header must see every spelling.
 */

/** The name as nginx's `$http_*` variables and CGI see it: case and `-`/`_` folded. */
export function foldHeaderName(name: string): string {
  return name.toLowerCase().replace(/-/g, '_');
}

/** Vouched names by their folded form, built once per config (`otherSpellings`). */
export type VouchedNames = ReadonlyMap<string, string>;

export function vouchedNames(vouched: readonly string[]): VouchedNames {
  return new Map(vouched.map((v) => [foldHeaderName(v), v.toLowerCase()]));
}

/**
 * The names (as sent, lower-cased by Kong) among `sentNames` that spell one of `vouched`
 * differently: `x_user_id` for `X-User-Id`. The exact names themselves are not included.
 */
export function otherSpellings(sentNames: Iterable<string>, folded: VouchedNames): string[] {
  if (folded.size === 0) return [];
  const out: string[] = [];
  for (const sent of sentNames) {
    const exact = folded.get(foldHeaderName(sent));
    if (exact !== undefined && sent.toLowerCase() !== exact) out.push(sent);
  }
  return out;
}

/** Every sent name that folds to `name`, the exact one included: where a credential may hide. */
export function spellingsOf(sentNames: Iterable<string>, name: string): string[] {
  const target = foldHeaderName(name);
  const out: string[] = [];
  for (const sent of sentNames) if (foldHeaderName(sent) === target) out.push(sent);
  return out;
}

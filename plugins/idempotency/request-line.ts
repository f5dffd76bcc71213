/**
 * The method and target of a request from nginx's `$request`, in one PDK call where
 * kong.request.getMethod and getPathWithQuery take two: a round trip saved on every request the
 * plugin guards, replays included.
 *
 * `$request` is the request line as the client sent it ("POST /orders?x=1 HTTP/1.1"); for HTTP/2
 * and HTTP/3 nginx builds it from :method and :path. Kong reads it the same way in
 * kong.request.get_method for requests it could not route. Two differences from the two calls, both
 * on the side of what the client sent, which is what an idempotency key is about:
 * - a method another plugin rewrote for the upstream (kong.service.request.set_method) does not
 *   show: the client's method decides whether the request is guarded and enters the fingerprint;
 * - an absolute-form target ("POST http://host/p HTTP/1.1") is cut to the origin form nginx's
 *   $request_uri holds ("/p"), so both forms fingerprint alike.
 * nginx (≥ 1.21.1, as in every Kong 3.x) refuses spaces and control characters in a request line,
 * so the first and last spaces delimit the target; HTTP/0.9's line has no protocol.
 */
export interface RequestLine {
  method: string;
  /** Path and query, as `$request_uri` (kong.request.getPathWithQuery). */
  target: string;
}

const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

export function parseRequestLine(line: unknown): RequestLine | undefined {
  if (typeof line !== 'string') return undefined;
  const first = line.indexOf(' ');
  if (first <= 0) return undefined;
  const last = line.lastIndexOf(' ');
  const target = last > first ? line.slice(first + 1, last) : line.slice(first + 1);
  if (target === '') return undefined;
  return { method: line.slice(0, first), target: originForm(target) };
}

function originForm(target: string): string {
  const authority = ABSOLUTE_FORM.exec(target);
  if (!authority) return target;
  const rest = target.slice(authority[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

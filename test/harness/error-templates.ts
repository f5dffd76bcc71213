/**
 * Kong's error bodies: kong/tools/mime_type.lua + kong/tools/utils.lua (get_response_type,
 * get_mime_type, get_error_template) and the HTTP_MESSAGES of kong/pdk/response.lua, used by
 * `kong.response.error` and Kong's own errors. Kong >= 3.5 adds the request id to every template;
 * the 3.4.2 trace shows the older JSON template (`{\n  "message":"probe error"\n}`, 29 bytes).
 * The message is inserted with string.format, unescaped, as Kong does.
 */
import type { KongVersion } from './kong-version';

const MIME_TYPES: Record<string, string> = {
  'application/grpc': '',
  'text/html': 'text/html; charset=utf-8',
  'application/json': 'application/json; charset=utf-8',
  'text/plain': 'text/plain; charset=utf-8',
  'application/xml': 'application/xml; charset=utf-8',
  application: 'application/json; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  default: 'application/json; charset=utf-8',
};

export const HTTP_MESSAGES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  402: 'Payment required',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  407: 'Proxy authentication required',
  408: 'Request timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length required',
  412: 'Precondition failed',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  416: 'Range not satisfiable',
  417: 'Expectation failed',
  418: "I'm a teapot",
  421: 'Misdirected request',
  422: 'Unprocessable entity',
  423: 'Locked',
  424: 'Failed dependency',
  425: 'Too early',
  426: 'Upgrade required',
  428: 'Precondition required',
  429: 'Too many requests',
  431: 'Request header fields too large',
  451: 'Unavailable for legal reasons',
  494: 'Request header or cookie too large',
  500: 'An unexpected error occurred',
  501: 'Not implemented',
  502: 'An invalid response was received from the upstream server',
  503: 'The upstream server is currently unavailable',
  504: 'The upstream server is timing out',
  505: 'HTTP version not supported',
  506: 'Variant also negotiates',
  507: 'Insufficient storage',
  508: 'Loop detected',
  510: 'Not extended',
  511: 'Network authentication required',
};

export function defaultErrorMessage(status: number): string {
  return HTTP_MESSAGES[status] ?? `The upstream server responded with ${status}`;
}

export function getMimeType(contentHeader: string): string {
  const header = contentHeader.trim().split(';')[0].trim();
  const entries = header.split('/');
  let mime: string | undefined;
  if (entries.length > 1) {
    if (entries[1] === '*') mime = entries[0] === '*' ? MIME_TYPES.default : MIME_TYPES[entries[0]];
    else mime = MIME_TYPES[header];
  }
  return mime ?? MIME_TYPES.default;
}

/** The content type `kong.response.error` answers with, from the request's Accept header. */
export function getResponseType(accept: string | string[] | undefined): string {
  let contentType = MIME_TYPES.default;
  if (accept === undefined) return contentType;
  const header = Array.isArray(accept) ? accept.join(',') : accept;
  let maxQuality = 0;
  for (const raw of header.split(',')) {
    const value = raw.trim();
    const m = /^((?:[a-z0-9][a-z0-9\-!#$&^_+.]+|\*)\/(?:[a-z0-9][a-z0-9\-!#$&^_+.]+|\*))((?:\s*;\s*[^;]*)*)$/i.exec(value);
    if (!m) continue;
    const q = /;\s*q=(1(?:\.0{0,3})?|0(?:\.\d{0,3})?)\b/i.exec(m[2]);
    const quality = q ? Number(q[1]) : 1;
    if (quality > maxQuality) {
      maxQuality = quality;
      contentType = getMimeType(m[1]);
    }
  }
  return contentType;
}

/** The body of an error with the given content type, or undefined when Kong has no template (a Lua error there). */
export function renderErrorTemplate(contentType: string, message: string, requestId: string, version: KongVersion): string | undefined {
  const withId = version.atLeast(3, 5);
  const is = (short: string): boolean => contentType === short || contentType === MIME_TYPES[short];
  if (is('application/json')) {
    return withId ? `{\n  "message":"${message}",\n  "request_id":"${requestId}"\n}` : `{\n  "message":"${message}"\n}`;
  }
  if (is('text/html')) {
    return withId
      ? `<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Error</title>\n  </head>\n  <body>\n    <h1>Error</h1>\n    <p>${message}.</p>\n    <p>request_id: ${requestId}</p>\n  </body>\n</html>\n`
      : `<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Kong Error</title>\n  </head>\n  <body>\n    <h1>Kong Error</h1>\n    <p>${message}.</p>\n  </body>\n</html>\n`;
  }
  if (is('application/xml')) {
    return withId
      ? `<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>${message}</message>\n  <requestid>${requestId}</requestid>\n</error>\n`
      : `<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>${message}</message>\n</error>\n`;
  }
  if (is('text/plain')) return withId ? `${message}\nrequest_id: ${requestId}\n` : `${message}\n`;
  if (is('application/grpc')) return '';
  return undefined;
}

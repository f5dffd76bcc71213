/**
 * Kong's bundled `post-function` (kong/plugins/post-function, PRIORITY -1000) for the ONE kind of
 * Lua chunk this harness can run: kong-ctl's fail-closed guard (rendered by
 * cli/src/desired/guard.ts, shown in docs/fail-closed-guard.md). This is NOT a Lua interpreter and
 * models no other code: the markers are read from the chunk's text with regular expressions, and
 * a chunk that is not, line for line, the guard's shape is `unmodelled` and fails the test. That
 * the real Lua behaves the same is proven separately, under LuaJIT
 * (test/plugins/guard/guard-lua.test.ts).
 *
 * Kong runs a chunk that returns no function on every request
 * (kong/plugins/pre-function/_handler.lua `compile_phase_array`), so each request here evaluates
 * the guard afresh against that request's kong.ctx.shared.
 */
import { UnmodelledError } from './pdk-context';
import type { NativePdk, NativePlugin } from './native-plugins';

/** The guard's lines, in order; `(…)` parts are what varies between guards. */
const HEAD = /^-- kong-ctl fail-closed guard: refuse what .+ did not pass \(docs\/fail-closed-guard\.md\)$/;
const SHARED = 'local shared = kong.ctx.shared';
const PREFLIGHT_COMMENT = /^-- .+ lets? CORS preflights through unmarked \(run_on_preflight: false\)$/;
const PREFLIGHT =
  'local preflight = kong.request.get_method() == "OPTIONS" and kong.request.get_header("Access-Control-Request-Method") ~= nil';
const CONDITION = /^if (.+) then$/;
const EXIT = /^ {2}return kong\.response\.exit\((\d{3}), \{ message = "([^"\\]*)" \}\)$/;
const END = 'end';
/** One term of the condition: `not shared.x` or `not (shared.x or preflight)`. */
const TERM = /not \(shared\.([A-Za-z_][A-Za-z0-9_]*) or preflight\)|not shared\.([A-Za-z_][A-Za-z0-9_]*)/g;

export interface GuardCheck {
  /** kong.ctx.shared key the security plugin sets when it lets a request pass. */
  marker: string;
  /** A CORS preflight passes this check without the marker. */
  preflightPasses: boolean;
}

export interface ParsedGuard {
  checks: GuardCheck[];
  status: number;
  message: string;
}

function unmodelled(why: string, chunk: string): never {
  throw new UnmodelledError(`post-function: only kong-ctl's fail-closed guard is modelled (${why}):\n${chunk}`);
}

/** The guard's markers and answer, or `unmodelled` for any other Lua. */
export function parseGuardChunk(chunk: string): ParsedGuard {
  const lines = chunk.split('\n');
  let i = 0;
  const next = () => lines[i++] ?? '';
  if (!HEAD.test(next())) unmodelled('no guard header line', chunk);
  if (next() !== SHARED) unmodelled(`line 2 is not "${SHARED}"`, chunk);
  let withPreflight = false;
  if (PREFLIGHT_COMMENT.test(lines[i] ?? '')) {
    i++;
    if (next() !== PREFLIGHT) unmodelled('unexpected preflight line', chunk);
    withPreflight = true;
  }
  const condition = CONDITION.exec(next())?.[1];
  if (condition === undefined) unmodelled('no `if … then` line', chunk);
  const checks: GuardCheck[] = [];
  const rebuilt: string[] = [];
  for (const m of condition.matchAll(TERM)) {
    checks.push({ marker: m[1] ?? m[2], preflightPasses: m[1] !== undefined });
    rebuilt.push(m[0]);
  }
  if (checks.length === 0 || rebuilt.join(' or ') !== condition) unmodelled(`condition "${condition}" is not a list of marker checks`, chunk);
  if (checks.some((c) => c.preflightPasses) !== withPreflight) unmodelled('`preflight` used without being defined, or defined and unused', chunk);
  const exit = EXIT.exec(next());
  if (!exit) unmodelled('no `return kong.response.exit(<status>, { message = "…" })` line', chunk);
  if (next() !== END || i !== lines.length) unmodelled('trailing code after `end`', chunk);
  return { checks, status: Number(exit[1]), message: exit[2] };
}

/** What the chunk's Lua does with the request: `kong.response.exit` unless every check passes. */
function runGuard(pdk: NativePdk, guard: ParsedGuard): void {
  const shared = (key: string) => pdk.call('kong.ctx.shared.get', key);
  let preflight = false;
  if (guard.checks.some((c) => c.preflightPasses)) {
    // `a and b`: get_header is called only for an OPTIONS request.
    preflight = pdk.call('kong.request.get_method') === 'OPTIONS' && pdk.call('kong.request.get_header', 'Access-Control-Request-Method') != null;
  }
  // Lua truthiness: only nil and false are false.
  const truthy = (v: unknown) => v !== undefined && v !== null && v !== false;
  const refused = guard.checks.some((c) => !(truthy(shared(c.marker)) || (c.preflightPasses && preflight)));
  if (refused) pdk.call('kong.response.exit', guard.status, { message: guard.message });
}

const PHASES = ['certificate', 'rewrite', 'access', 'header_filter', 'body_filter', 'log'] as const;

/** Kong 3.x's post-function with this harness's one modelled chunk; config defaults from its schema (every phase `[]`). */
export function postFunctionPlugin(): NativePlugin {
  return {
    name: 'post-function',
    priority: -1000,
    defaults: Object.fromEntries(PHASES.map((p) => [p, []])),
    access(pdk, conf) {
      for (const phase of PHASES) {
        const chunks = conf[phase];
        if (phase !== 'access' && Array.isArray(chunks) && chunks.length > 0) {
          throw new UnmodelledError(`post-function: code in config.${phase} is not modelled (only access)`);
        }
      }
      const chunks = conf.access;
      if (!Array.isArray(chunks)) throw new UnmodelledError('post-function: config.access must be an array of Lua chunks');
      // compile_phase_array runs the chunks in order; an exit ends the handler.
      for (const chunk of chunks) runGuard(pdk, parseGuardChunk(String(chunk)));
    },
  };
}

/**
 * A security plugin that let a request through says so in `kong.ctx.shared`, so that a guard
 * running later (a bundled Lua `post-function`) can refuse requests that reached it without the
 * plugin having run — which is what happens when the plugin server is down and Kong proxies
 * without the plugin (fail open, see /work/shared/kong-pdk/README.md).
 *
 * The key is the plugin name with '-' turned into '_' plus `_passed` (`jwt-claims` →
 * `jwt_claims_passed`), so the Lua guard can write `kong.ctx.shared.jwt_claims_passed`.
 */
import type { Kong } from './pdk';

export function passedMarkerKey(pluginName: string): string {
  return `${pluginName.replace(/-/g, '_')}_passed`;
}

/** One PDK call; the last thing a security plugin does in `access` when it lets a request pass. */
export function markPassed(kong: Kong, pluginName: string): Promise<void> {
  return kong.ctx.shared.set(passedMarkerKey(pluginName), true);
}

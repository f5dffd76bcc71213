/**
 * A security plugin that let a request through can say so in `kong.ctx.shared`, so that a guard
 * running later (a bundled Lua `post-function`) can refuse requests that reached it without the
 * plugin having run — which is what happens when the plugin server is down and Kong proxies
 * without the plugin (fail open, see /work/shared/kong-pdk/README.md).
 *
 * The key is the plugin name with '-' turned into '_' plus `_passed` (`jwt-claims` →
 * `jwt_claims_passed`), so the Lua guard can write `kong.ctx.shared.jwt_claims_passed`.
 *
 * Setting it is one more PDK round trip on every request that passes, and it serves nothing
 * without a guard, so it is the config field `mark_passed` (default off): kong-ctl's
 * `_info.fail_closed_guard` turns it on wherever it adds a guard (docs/fail-closed-guard.md).
 */
import type { KongField } from './kong-schema';
import type { Kong } from './pdk';

/** The config field, the same in every security plugin (kong-ctl's guard sets it by this name). */
export const MARK_PASSED = 'mark_passed';

export function passedMarkerKey(pluginName: string): string {
  return `${pluginName.replace(/-/g, '_')}_passed`;
}

/** The `mark_passed` entry of a security plugin's schema. */
export function markPassedField(pluginName: string): Record<string, KongField> {
  return {
    [MARK_PASSED]: {
      type: 'boolean',
      default: false,
      description:
        `Set \`kong.ctx.shared.${passedMarkerKey(pluginName)}\` on every request the plugin lets through, so that a guard running after it ` +
        "(a post-function) can refuse requests the plugin never saw, as happens when its plugin server is down. One more PDK round trip per " +
        "request; kong-ctl's `_info.fail_closed_guard` turns it on wherever it adds a guard.",
    },
  };
}

/** One PDK call; the last thing a security plugin with `mark_passed` does in `access` when it lets a request pass. */
export function markPassed(kong: Kong, pluginName: string): Promise<void> {
  return kong.ctx.shared.set(passedMarkerKey(pluginName), true);
}

/**
 * decK's shared plugin configurations: `_plugin_configs` at the top of a file names config
 * records, and a plugin's `_config: <name>` takes every config key it does not set itself from
 * that record, records key by key at every level (go-database-reconciler pkg/file/builder.go
 * `fillPluginConfig`, whose tests pin the nested merge: a plugin overriding only its shared
 * `redis.host` keeps the shared port and password). The plugin's own values win, null and lists
 * included. Names are shared by all the files of a run, so one file can hold a platform team's
 * configs and others use them.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Diagnostic } from '../model/errors';
import type { RawEntity } from './build';
import { maskedPaths } from './build';
import { closest } from './closest';
import { formatEntityPath } from './file-format';
import { at } from './info';
import { isPlainObject } from './kong-schema-check';
import { setOwn } from '../model/own';
import type { ParsedFile } from './parse';

export const PLUGIN_CONFIGS_KEY = '_plugin_configs';
export const CONFIG_SOURCE_KEY = '_config';

interface SharedConfig {
  value: Record<string, unknown>;
  file: ParsedFile;
  /** Config keys whose value came from `${{ env … }}`. */
  masked: string[];
}

/** The named configs of every file; a name two files give different records is an error. */
export function mergePluginConfigs(files: ParsedFile[]): { configs: Map<string, SharedConfig>; diagnostics: Diagnostic[] } {
  const configs = new Map<string, SharedConfig>();
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    const content = file.content;
    if (!isPlainObject(content) || !isPlainObject(content[PLUGIN_CONFIGS_KEY])) continue;
    for (const [name, value] of Object.entries(content[PLUGIN_CONFIGS_KEY] as Record<string, unknown>)) {
      // Not a record: the file schema says so at its line.
      if (!isPlainObject(value)) continue;
      const seen = configs.get(name);
      if (!seen) {
        const masked = maskedPaths(file, [PLUGIN_CONFIGS_KEY, name], () => true);
        configs.set(name, { value, file, masked });
      } else if (!isDeepStrictEqual(seen.value, value)) {
        diagnostics.push({
          code: 'E_VALIDATION',
          message: `${PLUGIN_CONFIGS_KEY}.${name} differs from the one in ${seen.file.name}: files must not disagree on a shared plugin config`,
          source: at(file, [PLUGIN_CONFIGS_KEY, name], true),
        });
      }
    }
  }
  return { configs, diagnostics };
}

/** Fills each plugin that names a shared config; an unknown name is an error at its `_config`. */
export function applyPluginConfigs(raws: RawEntity[], configs: Map<string, SharedConfig>): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const raw of raws) {
    const source = raw.configSource;
    if (raw.kind !== 'plugin' || source === undefined) continue;
    const shared = configs.get(source);
    if (!shared) {
      const hint = closest(source, [...configs.keys()]);
      diagnostics.push({
        code: 'E_VALIDATION',
        message: `${CONFIG_SOURCE_KEY}: no ${PLUGIN_CONFIGS_KEY} named '${source}'${hint ? ` (did you mean '${hint}'?)` : ''}`,
        source: { ...at(raw.file, [...raw.path, CONFIG_SOURCE_KEY]), path: formatEntityPath(raw.path) },
      });
      continue;
    }
    const own = raw.fields.config;
    // A config that is not a record is the schema check's to report.
    if (own !== undefined && own !== null && !isPlainObject(own)) continue;
    const config: Record<string, unknown> = isPlainObject(own) ? own : {};
    const filled: string[] = [];
    fillUnset(config, shared.value, '', filled);
    for (const f of filled) for (const m of shared.masked) if (m === f || m.startsWith(`${f}.`)) raw.masked.push(`config.${m}`);
    raw.fields.config = config;
  }
  return diagnostics;
}

/** Copies into `own` what `shared` has and `own` leaves unset, descending into records both have; `filled` gets the paths copied. */
function fillUnset(own: Record<string, unknown>, shared: Record<string, unknown>, prefix: string, filled: string[]): void {
  for (const [k, v] of Object.entries(shared)) {
    // Own keys only: `in` finds Object.prototype's `constructor`, and `own['__proto__'] =` sets no key.
    if (!Object.hasOwn(own, k)) {
      setOwn(own, k, structuredClone(v));
      filled.push(prefix + k);
    } else if (isPlainObject(own[k]) && isPlainObject(v)) fillUnset(own[k] as Record<string, unknown>, v, `${prefix}${k}.`, filled);
  }
}

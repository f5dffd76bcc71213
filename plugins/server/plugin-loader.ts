/**
 * Loads plugin modules from the plugins directory by kong-pdk 0.6.0's rules (server.js
 * loadPlugins, lib/mod.js Module) so that Kong sees the same plugins, names, phases, priorities
 * and schemas — but without lib/mod.js, whose first line registers ts-node (a TypeScript
 * compiler in every plugin server). TypeScript files are reported and skipped: ship compiled JS.
 *
 * kong-pdk's rules, kept: entries in directory order; names starting with "." and names
 * containing "node_modules" skipped; each entry resolved with require.resolve (so a directory
 * loads its index.js or package.json main, under the resolved file's name); extensions .js,
 * .cjs, .node or none; the first file of a name wins; plugin name = module `Name` or the file
 * name, lower-cased; phases = the handler methods among certificate, rewrite, log, access,
 * preread, response (in that order); Priority `|| 0`; Schema `|| []`; Version as exported.
 * Differences: a relative directory is resolved against the working directory (kong-pdk reads
 * it as a package name and crashes), and an unresolvable entry is skipped with a warning.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from './logger';

/** lib/mod.js `phases`, in its order (the order Kong receives them in). */
export const PLUGIN_PHASES = ['certificate', 'rewrite', 'log', 'access', 'preread', 'response'] as const;

const LOADABLE_EXTENSIONS = new Set(['.js', '.cjs', '.node', '']);
const TYPESCRIPT_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

/** A plugin object: one per instance, built from the module's `Plugin` class with the config. */
export type PluginObject = Record<string, unknown>;
export type PluginClass = new (config: unknown) => PluginObject;

export interface LoadedPlugin {
  name: string;
  path: string;
  cls: PluginClass;
  phases: string[];
  priority: number;
  version: unknown;
  schema: unknown;
  /** Seconds since the epoch, fractional, as kong-pdk reports them. */
  mtime: number;
  loadTime: number;
  lastStartInstance: number;
  lastCloseInstance: number;
}

/** What GetPluginInfo and the query command report (server.js GetPluginInfo), key order kept. */
export interface PluginInfo {
  Name: string;
  Version: unknown;
  Phases: string[];
  Priority: number;
  Schema: { name: string; fields: Array<{ config: { type: 'record'; fields: unknown } }> };
}

export class PluginLoadError extends Error {
  override get name(): string {
    return 'PluginLoadError';
  }
}

/** lib/mod.js Module: the metadata of one required module. */
export function describePlugin(fileName: string, filePath: string, mod: unknown, mtime: number, loadTime = Date.now() / 1000): LoadedPlugin {
  const exported = (mod ?? {}) as Record<string, unknown>;
  const cls = exported.Plugin;
  if (typeof cls !== 'function') throw new PluginLoadError('the module exports no Plugin class');
  const proto = (cls as { prototype?: Record<string, unknown> }).prototype ?? {};
  return {
    name: String(exported.Name || fileName).toLowerCase(),
    path: filePath,
    cls: cls as PluginClass,
    phases: PLUGIN_PHASES.filter((phase) => typeof proto[phase] === 'function'),
    priority: (exported.Priority as number) || 0,
    version: exported.Version,
    schema: exported.Schema || [],
    mtime,
    loadTime,
    lastStartInstance: 0,
    lastCloseInstance: 0,
  };
}

export function pluginInfo(plugin: LoadedPlugin): PluginInfo {
  return {
    Name: plugin.name,
    Version: plugin.version,
    Phases: plugin.phases,
    Priority: plugin.priority,
    Schema: { name: plugin.name, fields: [{ config: { type: 'record', fields: plugin.schema } }] },
  };
}

/**
 * Every plugin of `directory`, keyed by plugin name. Throws when the directory cannot be read
 * (kong-pdk dies then too); a module that fails to load is logged and skipped.
 */
export function loadPluginsDirectory(directory: string, log: Logger): Map<string, LoadedPlugin> {
  const dir = path.resolve(directory);
  const plugins = new Map<string, LoadedPlugin>();
  for (const entry of fs.readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    if (entry.includes('node_modules')) continue;
    let filePath: string;
    try {
      filePath = require.resolve(path.join(dir, entry));
    } catch (e) {
      log.warn(`skipping ${path.join(dir, entry)}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      continue;
    }
    const { name, ext } = path.parse(filePath);
    if (!name) continue;
    if (TYPESCRIPT_EXTENSIONS.has(ext)) {
      log.warn(`skipping ${filePath}: TypeScript is not loaded at run time (no ts-node); ship the compiled JavaScript`);
      continue;
    }
    if (!LOADABLE_EXTENSIONS.has(ext)) continue;
    // kong-pdk looks the file name up, but stores by plugin name: kept as is
    const earlier = plugins.get(name);
    if (earlier) {
      log.warn(`plugin "${name}" is already loaded from ${earlier.path}, trying to load from ${filePath}`);
      continue;
    }
    try {
      const mod: unknown = require(filePath);
      const plugin = describePlugin(name, filePath, mod, fs.statSync(filePath).mtime.getTime() / 1000);
      plugins.set(plugin.name, plugin);
      log.debug(`loaded plugin "${plugin.name}" from ${filePath}`);
    } catch (e) {
      log.warn(`error loading plugin "${name}" from ${filePath}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
  return plugins;
}

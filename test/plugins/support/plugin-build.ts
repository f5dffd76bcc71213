/**
 * The plugin server loads a plugin's compiled JS from dist/, so after an edit without a build the
 * harness tests would pass or fail on the old code. The plugins' harness envs refuse to start on
 * such a build; the check is the same for every plugin, so it is written once here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../harness';

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/**
 * Throws, naming every stale file, unless each source of plugins/<plugin> and plugins/shared has
 * its compiled JS in dist/, none older than its source, and the entry file Kong's plugin server
 * start command loads (dist/kong-plugins/<plugin>/<plugin>.js) exists.
 */
export function assertPluginBuilt(plugin: string): void {
  const stale: string[] = [];
  for (const dir of [`plugins/${plugin}`, 'plugins/shared']) {
    for (const source of tsFiles(path.join(REPO_ROOT, dir))) {
      const compiled = path.join(REPO_ROOT, 'dist', path.relative(REPO_ROOT, source)).replace(/\.ts$/, '.js');
      if (!fs.existsSync(compiled)) stale.push(`${compiled} missing`);
      else if (fs.statSync(compiled).mtimeMs < fs.statSync(source).mtimeMs) stale.push(`${compiled} older than its source`);
    }
  }
  const pluginDir = path.join(REPO_ROOT, 'dist', 'kong-plugins', plugin);
  if (!fs.existsSync(path.join(pluginDir, `${plugin}.js`))) stale.push(`${pluginDir}/${plugin}.js missing`);
  if (stale.length > 0) throw new Error(`run \`npm run build\` first (npm test does):\n${stale.join('\n')}`);
}

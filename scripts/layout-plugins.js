#!/usr/bin/env node
'use strict';
/**
 * Kong >= 3.9 registers only the first plugin a plugin server reports, so every plugin gets
 * a plugins directory of its own: dist/kong-plugins/<name>/<name>.js, a one-line module that
 * loads the compiled plugin. kong/kong.conf and the Dockerfile point one plugin server at
 * each of these directories.
 */
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const compiled = path.join(root, 'dist', 'plugins');
const out = path.join(root, 'dist', 'kong-plugins');

fs.rmSync(out, { recursive: true, force: true });
if (!fs.existsSync(compiled)) process.exit(0);

for (const name of fs.readdirSync(compiled).sort()) {
  if (name === 'shared') continue;
  const index = path.join(compiled, name, 'index.js');
  if (!fs.existsSync(index)) continue;
  const dir = path.join(out, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, `${name}.js`),
    `'use strict';\nmodule.exports = require('../../plugins/${name}/index.js');\n`,
  );
}

#!/usr/bin/env node
'use strict';
// The CLI is compiled TypeScript: `npm run build` (run by `npm ci` through `prepare`) writes dist/.
const path = require('path');
const fs = require('fs');
const entry = path.join(__dirname, '..', 'dist', 'cli', 'src', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('kong-ctl: not built yet; run `npm run build` first\n');
  process.exit(1);
}
require(entry).main(process.argv).then((code) => { process.exitCode = code; });

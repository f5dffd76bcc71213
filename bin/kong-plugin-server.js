#!/usr/bin/env node
'use strict';
// The project's Kong plugin server (kong-pdk compatible command line); compiled TypeScript:
// `npm run build` writes dist/. kong.conf's pluginserver_<name>_start_cmd/_query_cmd run this.
const path = require('path');
const fs = require('fs');
const entry = path.join(__dirname, '..', 'dist', 'plugins', 'server', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('kong-plugin-server: not built yet; run `npm run build` first\n');
  process.exit(1);
}
require(entry).main(process.argv).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`kong-plugin-server: ${(e && e.stack) || e}\n`);
    process.exit(1);
  },
);

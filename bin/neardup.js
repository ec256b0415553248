#!/usr/bin/env node
// The `neardup` command: a thin launcher for the compiled CLI in dist/.
require('../dist/cli/main.js').main(process.argv).then(
  (code) => process.exit(code ?? 0),
  (err) => {
    console.error(`neardup: ${err && err.message ? err.message : err}`);
    process.exit(1);
  },
);

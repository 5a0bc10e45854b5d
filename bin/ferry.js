#!/usr/bin/env node
// Entry point of the `ferry` command: runs the compiled CLI (npm run build produces dist/).
import('../dist/src/cli/main.js')
  .then((m) => m.main(process.argv.slice(2)))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });

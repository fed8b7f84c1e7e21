#!/usr/bin/env node
// The `roster` command's bin entry. It is committed (not built) so that `npm ci` on a fresh clone
// finds it and links `node_modules/.bin/roster` before anything is compiled; the command itself
// is the compiled dist/bin.js.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write('roster: the CLI is not built yet (no packages/cli/dist/bin.js); run `npm run build` first\n');
  process.exit(1);
}
await import(compiled.href);

#!/usr/bin/env node
// The `medchain` command after install. Before the command runs, bin/prepare.js compiles the
// contracts if they are not built yet (so `npm ci` alone is enough) and bundles the CLI with
// esbuild (cached; so start-up does not transpile the tree on every run). Without a bundle
// (MEDCHAIN_NO_BUNDLE=1, or esbuild unable to build) the TypeScript sources run through tsx.
// `medchain start` also builds the web UI when web/dist is missing or older than its sources.
// Every failure is one line on stderr, never a stack trace.
import { fileURLToPath, pathToFileURL } from 'node:url';

const fail = (error) => {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] || 'failed';
  process.stderr.write(`medchain: ${message}\n`);
  process.exit(1);
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

/** The command's first word, skipping global flags and their values (`--data-dir d start` → start). */
function commandWord(argv) {
  const withValue = new Set(['--gateway', '--key', '--data-dir', '--passphrase-file']);
  for (let i = 0; i < argv.length; i++) {
    if (withValue.has(argv[i])) i++;
    else if (!argv[i].startsWith('-')) return argv[i];
  }
  return undefined;
}

try {
  const { ensureBundle, ensureContracts, ensureWeb } = await import('./prepare.js');
  const log = (line) => process.stderr.write(`medchain: ${line}\n`);
  await ensureContracts(log);
  if (commandWord(process.argv.slice(2)) === 'start' && !process.argv.includes('--help') && !process.argv.includes('-h')) await ensureWeb(log);
  // A read-only install cannot cache a bundle: it runs the sources through tsx, as before.
  const bundle = process.env.MEDCHAIN_NO_BUNDLE === '1' ? undefined : await ensureBundle().catch(() => undefined);
  if (bundle) await import(pathToFileURL(bundle).href);
  else {
    const { register } = await import('tsx/esm/api');
    register();
    await import(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)));
  }
} catch (error) {
  fail(error);
}

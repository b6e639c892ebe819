// What `medchain` needs before a command runs, each built once and cached, so that `npm ci` alone is
// enough and start-up stays short:
//
// - the contract ABIs and bytecode (contracts/build): compiled with solc-js from the pinned npm
//   package (nothing is downloaded) when missing or older than a source in contracts/src;
// - the CLI as one bundle (.cache/cli/<build>/main.js, esbuild): Node then loads a few files instead
//   of tsx transpiling the whole tree and Node resolving hundreds of viem modules on every run.
//   Rebuilt when any input file changes (sizes and mtimes recorded from esbuild's metafile).
//
// Plain JavaScript: this runs before any TypeScript loader. Parallel runs serialize on a lock file.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONTRACTS_SRC = join(ROOT, 'contracts', 'src');
const CONTRACTS_BUILD = join(ROOT, 'contracts', 'build');
const CACHE = join(ROOT, '.cache', 'cli');
const CURRENT = join(CACHE, 'current.json');

/** Packages with native addons or files they read beside themselves: loaded from node_modules as they are. */
const EXTERNAL = [
  'better-sqlite3', 'classic-level', 'secp256k1', 'solc', 'pg', 'pg-native', '@nomicfoundation/edr', 'esbuild', 'tsx',
  'vite', '@vitejs/plugin-react', 'lightningcss', 'fsevents', 'playwright-core',
];

/** A failure of the preparation, reported as one line. */
export class PrepareError extends Error {}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch (error) { return error.code === 'EPERM'; }
}

/** Runs `work` holding `<dir>/.lock`; waits while another live process holds it, takes over a stale one. */
async function withLock(dir, work) {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.lock');
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lock, 'utf8').trim() || 0);
      if (holder > 0 && alive(holder)) await sleep(200);
      else try { unlinkSync(lock); } catch { /* another waiter took it over first */ }
    }
  }
  try { return await work(); } finally { try { unlinkSync(lock); } catch { /* gone */ } }
}

export function contractsFresh() {
  const stamp = join(CONTRACTS_BUILD, 'source-hash');
  return existsSync(join(CONTRACTS_BUILD, 'abis.ts')) && existsSync(stamp) && statSync(stamp).mtimeMs >= newestMtime(CONTRACTS_SRC);
}

/** Compiles the contracts unless contracts/build is up to date with contracts/src. */
export async function ensureContracts(log) {
  if (contractsFresh()) return false;
  return withLock(CONTRACTS_BUILD, async () => {
    if (contractsFresh()) return false; // built by the process we waited for
    const { register } = await import('tsx/esm/api');
    const unregister = register();
    try {
      log('compiling the contracts with solc-js (once after install or a change to contracts/src; a minute or two)…');
      const { compileContracts } = await import(pathToFileURL(join(ROOT, 'contracts', 'compile.ts')).href);
      // solc's formatted diagnostics are many lines each: keep the first error's first line for the message.
      const diagnostics = [];
      const { error: consoleError, warn: consoleWarn } = console;
      console.error = (text) => diagnostics.push(String(text));
      console.warn = () => {};
      try { compileContracts(); } catch (error) {
        const first = diagnostics[0]?.split('\n').find((l) => l.trim()) ?? error.message.split('\n')[0];
        throw new PrepareError(`the contracts do not compile: ${first.trim()} (${error.message.split('\n')[0]})`);
      } finally {
        console.error = consoleError;
        console.warn = consoleWarn;
      }
      // An unchanged source hash rewrites nothing: mark the build as checked so the next run skips solc.
      const now = new Date();
      utimesSync(join(CONTRACTS_BUILD, 'source-hash'), now, now);
      return true;
    } finally {
      await unregister();
    }
  });
}

function readCurrent() {
  try { return JSON.parse(readFileSync(CURRENT, 'utf8')); } catch { return undefined; }
}

/** The bundle is current when every input still has the size and mtime it had at build time. */
function bundleFresh(current) {
  if (!current || !existsSync(join(CACHE, current.dir, 'main.js'))) return false;
  for (const [file, size, mtimeMs] of current.inputs) {
    let s;
    try { s = statSync(join(ROOT, file)); } catch { return false; }
    if (s.size !== size || s.mtimeMs !== mtimeMs) return false;
  }
  return true;
}

/**
 * esbuild moves code into .cache/cli, so `import.meta.url` / `import.meta.dirname` in a source
 * (paths to web/dist, createRequire for package data) would point there: pin them to the source file.
 */
const pinImportMeta = {
  name: 'pin-import-meta',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta')) return undefined;
      const contents = text
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path))
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
      return { contents, loader: 'ts' };
    });
  },
};

async function buildBundle() {
  const esbuild = await import('esbuild');
  const dir = `${Date.now().toString(36)}-${process.pid}`;
  const outdir = join(CACHE, dir);
  const result = await esbuild.build({
    entryPoints: { main: join(ROOT, 'src', 'cli', 'main.ts') },
    absWorkingDir: ROOT, outdir, bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20',
    external: EXTERNAL, metafile: true, logLevel: 'silent', plugins: [pinImportMeta],
    // Bundled CommonJS packages call require(): give the ESM bundle one.
    banner: { js: "import { createRequire as __medchainRequire } from 'node:module'; const require = __medchainRequire(import.meta.url);" },
  });
  const inputs = Object.keys(result.metafile.inputs)
    .map((file) => resolve(ROOT, file.replace(/^[a-z-]+:/, '')))
    .filter((file) => existsSync(file))
    .map((file) => { const s = statSync(file); return [relative(ROOT, file), s.size, s.mtimeMs]; });
  const tmp = `${CURRENT}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ dir, builtAt: new Date().toISOString(), inputs }));
  renameSync(tmp, CURRENT);
  // Older builds: kept an hour for processes still loading their lazy chunks, then removed.
  for (const old of readdirSync(CACHE)) {
    const path = join(CACHE, old);
    if (old !== dir && !old.endsWith('.json') && !old.startsWith('.') && Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
  }
  return join(outdir, 'main.js');
}

/** What the web UI is built from: its own sources and the SDK, crypto and gateway modules it imports. */
const WEB_INPUTS = ['web', 'src/sdk', 'src/crypto', 'src/gateway', 'contracts/build', 'package-lock.json'];
const WEB_INDEX = join(ROOT, 'web', 'dist', 'index.html');

function newestInput(path) {
  if (!existsSync(path)) return 0;
  if (!statSync(path).isDirectory()) return statSync(path).mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    newest = Math.max(newest, newestInput(join(path, entry.name)));
  }
  return newest;
}

export function webFresh() {
  return existsSync(WEB_INDEX) && statSync(WEB_INDEX).mtimeMs >= Math.max(...WEB_INPUTS.map((p) => newestInput(join(ROOT, p))));
}

/**
 * Builds the web UI (Vite, into web/dist) for `medchain start` when it is missing or older than a
 * source; an unchanged UI is not rebuilt. Without Vite (a production install) the gateway serves the
 * API alone, as before.
 */
export async function ensureWeb(log) {
  if (webFresh()) return false;
  return withLock(join(ROOT, 'web'), async () => {
    if (webFresh()) return false;
    let vite;
    try { vite = await import('vite'); } catch { log('the web UI is not built and Vite is not installed: serving the API only'); return false; }
    log('building the web UI (once, and again after a change to web/ or the SDK)…');
    try {
      await vite.build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'error' });
    } catch (error) {
      throw new PrepareError(`the web UI does not build: ${String(error.message ?? error).split('\n')[0]}`);
    }
    return true;
  });
}

/** The path of a current CLI bundle, built first if needed; undefined if esbuild cannot build it. */
export async function ensureBundle() {
  const current = readCurrent();
  if (bundleFresh(current)) return join(CACHE, current.dir, 'main.js');
  return withLock(CACHE, async () => {
    const again = readCurrent();
    if (bundleFresh(again)) return join(CACHE, again.dir, 'main.js');
    try { return await buildBundle(); } catch { return undefined; }
  });
}

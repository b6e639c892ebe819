// Lists import cycles among the TypeScript sources (type-only imports included: they still tie
// the modules' designs together). Usage: `node scripts/import-cycles.mjs [dir ...]` (default src web/src).
// Exit code 1 when there is a cycle. A regex over import/export-from lines is enough here: every
// import in the tree is a relative path with its .ts/.tsx extension.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['src', 'web/src'];
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') continue;
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.tsx?$/.test(name)) files.push(resolve(path));
  }
};
for (const root of roots) walk(root);
const known = new Set(files);
const graph = new Map();
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const deps = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)]
    .map((m) => resolve(dirname(file), m[1])).filter((p) => known.has(p));
  graph.set(file, deps);
}
// Tarjan's strongly connected components: each component with more than one file is a cycle.
let index = 0;
const stack = [], on = new Set(), idx = new Map(), low = new Map(), cycles = [];
const visit = (v) => {
  idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
  for (const w of graph.get(v)) {
    if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const scc = [];
    let w;
    do { w = stack.pop(); on.delete(w); scc.push(w); } while (w !== v);
    if (scc.length > 1 || graph.get(v).includes(v)) cycles.push(scc);
  }
};
for (const v of graph.keys()) if (!idx.has(v)) visit(v);
for (const c of cycles) console.log(`cycle: ${c.map((f) => relative(process.cwd(), f)).sort().join(' <-> ')}`);
console.log(`${files.length} files, ${cycles.length} import cycle(s)`);
process.exit(cycles.length ? 1 : 0);

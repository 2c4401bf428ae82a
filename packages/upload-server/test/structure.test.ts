import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { expect, test } from '@jest/globals';

// The house's two rules, read from the sources: routes never import each other (nor does anything below them), and
// there is no import circle (type-only imports count: they tie the files together for a reader too).
const SRC = join(__dirname, '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.ts$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** src-relative path → the src-relative paths it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) =>
      relative(SRC, resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'))),
    );
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

test('no route imports another route, and nothing below the routes imports one', () => {
  const entry = new Set(['app.ts', 'index.ts', 'cli.ts']);
  const crossings: string[] = [];
  for (const [from, targets] of importGraph()) {
    const [fromRoom, fromRoute] = from.split(sep);
    for (const to of targets) {
      const [toRoom, toRoute] = to.split(sep);
      if (toRoom !== 'routes') continue;
      const allowed = fromRoom === 'routes' ? fromRoute === toRoute : entry.has(from);
      if (!allowed) crossings.push(`${from} -> ${to}`);
    }
  }
  expect(crossings).toEqual([]);
});

test('there is no import circle in src', () => {
  const graph = importGraph();
  const circles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      circles.push([...path.slice(path.indexOf(file)), file].join(' > '));
      return;
    }
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  expect(graph.size).toBeGreaterThan(40);
  expect(circles).toEqual([]);
});

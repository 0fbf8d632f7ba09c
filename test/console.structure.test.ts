/**
 * The console's structure (web/src), as it is meant to stay:
 * - no import circle (type-only imports count: they are circles to a reader too);
 * - panels reach each other only through the shell and the store: no panel module imports
 *   another panel's, and only app.ts (the wiring) imports panels; the shell knows no panel;
 * - the drawing geometry (web/src/geo) is pure: it imports only itself, the engine's geodesy and
 *   types, and GeoJSON's types — no DOM helper, store or map;
 * - no function is longer than 150 lines.
 * Imports are read by dependency-cruiser's API (its command line refuses Node 20), functions by
 * the TypeScript parser.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cruise, type IForbiddenRuleType } from 'dependency-cruiser';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = 'web/src';
const MAX_FUNCTION_LINES = 150;

/** The rules the imports of web/src must keep. */
const RULES: IForbiddenRuleType[] = [
  { name: 'no-circle', severity: 'error', from: { path: `^${WEB}/` }, to: { circular: true } },
  {
    name: 'panels-apart',
    severity: 'error',
    from: { path: `^${WEB}/panels/([^/]+)/` },
    to: { path: `^${WEB}/panels/`, pathNot: `^${WEB}/panels/$1/` },
  },
  {
    name: 'panels-wired-by-app-only',
    severity: 'error',
    from: { path: `^${WEB}/`, pathNot: `^${WEB}/(app\\.ts$|panels/)` },
    to: { path: `^${WEB}/panels/` },
  },
  {
    name: 'nothing-imports-the-wiring',
    severity: 'error',
    from: { path: `^${WEB}/`, pathNot: `^${WEB}/main\\.ts$` },
    to: { path: `^${WEB}/app\\.ts$` },
  },
  {
    name: 'geo-is-pure',
    severity: 'error',
    from: { path: `^${WEB}/geo/` },
    to: { pathNot: `^(${WEB}/geo/|src/engine/(geodesy/|types\\.ts$)|node_modules/@types/geojson/)` },
  },
];

/** Every rule broken, as "rule: from → to". */
async function violations(): Promise<string[]> {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const r = await cruise([WEB], {
      validate: true,
      ruleSet: { forbidden: RULES },
      tsPreCompilationDeps: true,
      doNotFollow: { path: 'node_modules' },
    });
    if (typeof r.output === 'string') throw new Error('dependency-cruiser answered text, not a result');
    assert.ok(r.output.summary.totalCruised > 40, `only ${r.output.summary.totalCruised} modules read`);
    return r.output.summary.violations.map((v) => {
      const cycle = v.cycle?.map((c) => c.name).join(' → ');
      return `${v.rule.name}: ${v.from} → ${v.to}${cycle ? ` (${cycle})` : ''}`;
    });
  } finally {
    process.chdir(cwd);
  }
}

/** Every TypeScript file under a folder. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every function with a body in a file: where it starts, its name, its length in lines. */
function functions(file: string): { at: string; lines: number }[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const line = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line;
  const out: { at: string; lines: number }[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) && 'body' in n && n.body) {
      const name = (n as ts.FunctionDeclaration).name?.getText() ?? '(anonymous)';
      out.push({
        at: `${file}:${line(n.getStart()) + 1} ${name}`,
        lines: line(n.getEnd()) - line(n.getStart()) + 1,
      });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

describe('the console’s structure', () => {
  it('imports: no circle, panels apart and wired by app.ts alone, the shell knowing no panel, geo pure', async () => {
    assert.deepEqual(await violations(), []);
  });

  it(`no function in ${WEB} is longer than ${MAX_FUNCTION_LINES} lines`, () => {
    const all = sources(join(ROOT, WEB)).flatMap(functions);
    assert.ok(all.length > 200, `only ${all.length} functions found`);
    const long = all.filter((f) => f.lines > MAX_FUNCTION_LINES).map((f) => `${f.at}: ${f.lines} lines`);
    assert.deepEqual(long, []);
  });
});

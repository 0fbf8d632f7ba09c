/**
 * `deconflict check` as a user runs it: the real executable in a child process, real files and
 * standard input, exit statuses 0 / 1 / 2.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDtg } from '../src/field/dtg.ts';

const BIN = fileURLToPath(new URL('../bin/deconflict.js', import.meta.url));
const SCENARIO = fileURLToPath(new URL('../scenarios/river-line.geojson', import.meta.url));

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The conflicts the demo scenario was designed to produce (scenarios/README.md). */
const DESIGNED = [
  'air_air air-coa-cap air-nf-transit',
  'incursion aor-coalition-south mov-aid-convoy',
  'incursion aor-northern-north coa-strike-launcher',
  'incursion aor-northern-north mov-aid-convoy',
  'restricted air-coa-recce rz-airfield',
  'strike_air air-coa-isr nf-strike-mortar',
  'strike_movement mov-aid-convoy nf-strike-crossroads',
  'strike_protected coa-strike-depot site-south-hospital',
];

interface Output {
  declarations: number;
  conflicts: {
    rule: string;
    severity: string;
    a: string;
    b: string;
    window: { start: string; end: string | null };
  }[];
}

describe('deconflict check', () => {
  it('prints the demo scenario’s designed conflicts as JSON and exits 1', () => {
    const r = run(['check', SCENARIO, '--format', 'json']);
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout) as Output;
    assert.equal(out.declarations, 24);
    assert.deepEqual(out.conflicts.map((c) => `${c.rule} ${c.a} ${c.b}`).sort(), [...DESIGNED].sort());
    for (const c of out.conflicts) {
      assert.deepEqual(Object.keys(c), [
        'rule',
        'severity',
        'a',
        'b',
        'internal',
        'distance_m',
        'window',
        'closest',
      ]);
      assert.ok(c.a < c.b);
    }
    const sorted = [...out.conflicts].sort((x, y) => (x.a + x.b + x.rule < y.a + y.b + y.rule ? -1 : 1));
    assert.deepEqual(
      out.conflicts.map((c) => c.a + c.b),
      sorted.map((c) => c.a + c.b),
    );
  });

  it('reads standard input with "-" and keeps only conflicts in force at --at', () => {
    const input = JSON.stringify(JSON.parse(spawnSync('cat', [SCENARIO], { encoding: 'utf8' }).stdout));
    const r = run(['check', '-', '--format', 'json', '--at', '2026-11-23T06:45:00Z'], input);
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout) as Output;
    const at = Date.parse('2026-11-23T06:45:00Z');
    assert.ok(out.conflicts.length > 0);
    for (const c of out.conflicts) {
      assert.ok(Date.parse(c.window.start) <= at && (c.window.end === null || at < Date.parse(c.window.end)));
    }
    assert.ok(out.conflicts.some((c) => c.rule === 'strike_movement'));
    // A date-time group works too.
    const dtg = run(['check', SCENARIO, '--format', 'json', '--at', '230645ZNOV26']);
    assert.deepEqual(JSON.parse(dtg.stdout), out);
  });

  it('prints an aligned table with Zulu date-time groups for people', () => {
    const r = run(['check', SCENARIO, '--format', 'table']);
    assert.equal(r.status, 1);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^SEV\s+RULE\s+A\s+B\s+INT\s+DIST\s+FROM\s+TO\s+CLOSEST$/);
    assert.match(r.stdout, /\b2306\d\dZNOV26\b/);
    assert.match(lines[lines.length - 1] ?? '', /^8 conflicts among 24 declarations$/);
  });

  it('lists the most severe conflicts first in the table, then by start; the JSON keeps the engine’s order', () => {
    const rank = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
    const table = run(['check', SCENARIO, '--format', 'table']);
    assert.equal(table.status, 1, table.stderr);
    const rows = table.stdout
      .trimEnd()
      .split('\n')
      .slice(1, -1)
      .map((l) => l.split(/ {2,}/));
    assert.equal(rows.length, 8);
    // SEV, RULE, A, B, (INT is empty here), DIST, FROM, …: the key is severity, then FROM.
    const keys = rows.map((r) => {
      const sev = rank.indexOf(r[0] as string);
      assert.ok(sev >= 0, `a severity: ${r.join(' | ')}`);
      const from = r.find((cell) => /^\d{6}Z[A-Z]{3}\d{2}$/.test(cell));
      assert.ok(from, `a FROM column: ${r.join(' | ')}`);
      return { sev, from: parseDtg(from) };
    });
    for (let i = 1; i < keys.length; i++) {
      const [p, q] = [keys[i - 1], keys[i]] as [(typeof keys)[0], (typeof keys)[0]];
      assert.ok(p.sev < q.sev || (p.sev === q.sev && p.from <= q.from), `row ${i + 1} out of order`);
    }
    assert.equal(rows[0]?.[0], 'CRITICAL');
    assert.equal(rows.at(-1)?.[0], 'HIGH');
    // The same conflicts in the JSON, in the engine's order (which is not by severity here, so
    // the table's order above is the command's doing).
    const json = JSON.parse(run(['check', SCENARIO, '--format', 'json']).stdout) as Output;
    assert.notEqual(json.conflicts[0]?.severity, 'critical');
    assert.deepEqual(
      rows.map((r) => `${r[1]} ${r[2]} ${r[3]}`).sort(),
      json.conflicts.map((c) => `${c.rule} ${c.a} ${c.b}`).sort(),
    );
  });

  it('exits 0 when there is no conflict', () => {
    const one = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [21.3, 46.2] },
          properties: {
            id: 'lone',
            kind: 'strike',
            party: 'alpha',
            start: '2026-11-23T06:00:00Z',
            buffer_m: 100,
          },
        },
      ],
    };
    const r = run(['check', '-', '--format', 'json'], JSON.stringify(one));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { declarations: 1, conflicts: [] });
  });

  it('exits 2 with coded errors on invalid declarations', () => {
    const bad = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [21.3, 46.2] },
          properties: {
            id: 'x',
            kind: 'strike',
            party: 'alpha',
            start: '2026-11-23T06:00:00Z',
            end: '2026-11-23T05:00:00Z',
          },
        },
      ],
    };
    const json = run(['check', '-', '--format', 'json'], JSON.stringify(bad));
    assert.equal(json.status, 2);
    assert.deepEqual(JSON.parse(json.stdout), {
      errors: [
        {
          code: 'window_empty',
          feature: { index: 0, id: 'x' },
          path: 'properties.end',
          message: 'end 2026-11-23T05:00:00Z is not after start 2026-11-23T06:00:00Z',
        },
      ],
    });
    const table = run(['check', '-'], JSON.stringify(bad));
    assert.equal(table.status, 2);
    assert.match(table.stderr, /feature 0 \(id "x"\) properties\.end: window_empty/);
  });

  it('exits 2 on input that is not JSON, a missing file, and bad arguments', () => {
    const cases: [string[], string | undefined, string][] = [
      [['check', '-', '--format', 'json'], '{"type": "FeatureCollection", ', 'invalid_json'],
      [['check', '/nonexistent/x.geojson', '--format', 'json'], undefined, 'io_error'],
      [['check', SCENARIO, '--format', 'json', '--at', 'yesterday'], undefined, 'invalid_argument'],
      [['check', SCENARIO, '--format', 'json', '--vertical-separation', '-5'], undefined, 'invalid_argument'],
    ];
    for (const [args, input, code] of cases) {
      const r = run(args, input);
      assert.equal(r.status, 2, args.join(' '));
      assert.equal((JSON.parse(r.stdout) as { errors: { code: string }[] }).errors[0]?.code, code);
    }
    const format = run(['check', SCENARIO, '--format', 'xml']);
    assert.equal(format.status, 2);
    assert.match(format.stderr, /invalid_argument/);
  });

  it('lets the hub defaults be overridden', () => {
    // With 600 m of vertical separation the tanker and the transit corridor (600 m apart) conflict.
    const r = run(['check', SCENARIO, '--format', 'json', '--vertical-separation', '601']);
    const out = JSON.parse(r.stdout) as Output;
    assert.ok(
      out.conflicts.some((c) => c.rule === 'air_air' && c.a === 'air-coa-tanker' && c.b === 'air-nf-transit'),
    );
  });
});

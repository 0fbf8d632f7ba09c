/**
 * Tests of the field formats (DTG, ISO times, MGRS, distances) and of the people-facing table
 * and error lines of the command line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import geographiclib from 'geographiclib-geodesic';
import { conflictSummary, formatConflictTable, formatErrorLines } from '../src/cli/table.ts';
import type { Conflict } from '../src/engine/types.ts';
import { DeconflictError, type ErrorCode } from '../src/errors.ts';
import { formatDtg, parseDtg, parseTime } from '../src/field/dtg.ts';
import { fromMgrs, toMgrs } from '../src/field/mgrs.ts';
import { formatDistance } from '../src/field/units.ts';

const GEOD = geographiclib.Geodesic.WGS84;

/** Geodesic distance in metres between two `[lon, lat]` positions. */
function metres(p: readonly [number, number], q: readonly [number, number]): number {
  return GEOD.Inverse(p[1], p[0], q[1], q[0], geographiclib.Geodesic.DISTANCE).s12 as number;
}

/** Asserts that `f` throws a DeconflictError with `code` whose message names `bad`. */
function assertCoded(f: () => unknown, code: ErrorCode, bad: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof DeconflictError, `expected a DeconflictError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.details.length, 1);
    assert.equal(e.details[0]?.feature, null);
    assert.equal(e.details[0]?.path, '');
    assert.ok(
      e.message.includes(JSON.stringify(bad)),
      `message ${JSON.stringify(e.message)} should name ${JSON.stringify(bad)}`,
    );
    return true;
  });
}

const EXAMPLE = Date.UTC(2026, 10, 22, 15, 30); // 2026-11-22T15:30:00Z

describe('formatDtg', () => {
  it('writes DDHHMMZMONYY, with seconds and with a four-digit year', () => {
    assert.equal(formatDtg(EXAMPLE), '221530ZNOV26');
    assert.equal(formatDtg(EXAMPLE + 45_000, { seconds: true }), '22153045ZNOV26');
    assert.equal(formatDtg(EXAMPLE, { fourDigitYear: true }), '221530ZNOV2026');
    assert.equal(formatDtg(EXAMPLE, { seconds: true, fourDigitYear: true }), '22153000ZNOV2026');
    assert.equal(formatDtg(Date.UTC(2030, 0, 5, 3, 7)), '050307ZJAN30');
  });

  it('names every month', () => {
    const names = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV'];
    names.push('DEC');
    names.forEach((name, i) => {
      assert.equal(formatDtg(Date.UTC(2027, i, 1)), `010000Z${name}27`);
    });
  });

  it('truncates rather than rounds', () => {
    assert.equal(formatDtg(EXAMPLE + 59_999), '221530ZNOV26');
    assert.equal(formatDtg(EXAMPLE + 59_999, { seconds: true }), '22153059ZNOV26');
    assert.equal(formatDtg(Date.UTC(2026, 11, 31, 23, 59, 59, 999)), '312359ZDEC26');
  });

  it('writes four digits for a year that two digits would misread', () => {
    assert.equal(formatDtg(Date.UTC(1999, 11, 31, 23, 59)), '312359ZDEC1999');
    assert.equal(formatDtg(Date.UTC(2100, 0, 1)), '010000ZJAN2100');
  });

  it('rejects a time it cannot write', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Date.UTC(10000, 0, 1), -1e15]) {
      assert.throws(
        () => formatDtg(bad),
        (e: unknown) => e instanceof DeconflictError && e.code === 'invalid_time',
      );
    }
  });
});

describe('parseDtg', () => {
  it('reads the example and its variants', () => {
    for (const s of [
      '221530ZNOV26',
      '221530znov26',
      '221530ZNov2026',
      '22 1530Z NOV 26',
      '22 1530 Z NOV 2026',
      '  221530ZNOV26  ',
      '22153000ZNOV26',
    ]) {
      assert.equal(parseDtg(s), EXAMPLE, s);
    }
    assert.equal(parseDtg('22153045ZNOV26'), EXAMPLE + 45_000);
    assert.equal(parseDtg('010000ZJAN00'), Date.UTC(2000, 0, 1));
    assert.equal(parseDtg('312359ZDEC99'), Date.UTC(2099, 11, 31, 23, 59));
    assert.equal(parseDtg('312359ZDEC1999'), Date.UTC(1999, 11, 31, 23, 59));
  });

  it('knows leap years', () => {
    assert.equal(parseDtg('290000ZFEB28'), Date.UTC(2028, 1, 29));
    assert.equal(parseDtg('290000ZFEB2000'), Date.UTC(2000, 1, 29));
    assertCoded(() => parseDtg('290000ZFEB27'), 'invalid_time', '290000ZFEB27');
    assertCoded(() => parseDtg('290000ZFEB2100'), 'invalid_time', '290000ZFEB2100');
  });

  it('rejects every malformed or impossible group with invalid_time', () => {
    for (const bad of [
      '',
      'now',
      '221530NOV26', // no Z
      '221530ZNOV', // no year
      '221530ZNOV6',
      '221530ZNOV026',
      '221530ZNOV20266',
      '2215ZNOV26', // no minutes
      '22153ZNOV26',
      '2215304ZNOV26',
      '221530ZNOX26', // no such month
      '221530ZNOVEMBER26',
      '311200ZNOV26', // 31 NOV
      '300000ZFEB28',
      '000000ZNOV26', // day 0
      '321200ZDEC26',
      '222400ZNOV26', // hour 24
      '229900ZNOV26',
      '221560ZNOV26', // minute 60
      '22153060ZNOV26', // second 60
      '221530ZNOV26X',
      'X221530ZNOV26',
      '22-1530ZNOV26',
      '2215 30ZNOV26',
      '221530Z+0100NOV26',
      '221530ANOV26', // another zone letter
      '２２1530ZNOV26', // full-width digits
      '2026-11-22T15:30:00Z', // ISO is for parseTime
    ]) {
      assertCoded(() => parseDtg(bad), 'invalid_time', bad);
    }
  });

  it('round-trips any minute of 2000–2099 in the default form', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) - 1 }), (t) => {
        const s = formatDtg(t);
        assert.match(s, /^\d{6}Z[A-Z]{3}\d{2}$/);
        assert.equal(parseDtg(s), t - (t % 60_000));
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips any second of years 0000–9999 with seconds and four-digit years', () => {
    const min = Date.UTC(2000, 0, 1) - 2000 * 365.2425 * 86_400_000; // 0000-01-01
    const max = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    fc.assert(
      fc.property(fc.integer({ min, max }), fc.boolean(), (t, four) => {
        const s = formatDtg(t, { seconds: true, fourDigitYear: four });
        const floored = t - (((t % 1000) + 1000) % 1000);
        assert.equal(parseDtg(s), floored);
        // The default form reads back too, switching to four digits outside 2000–2099.
        assert.equal(parseDtg(formatDtg(t)), t - (((t % 60_000) + 60_000) % 60_000));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseTime', () => {
  it('accepts ISO 8601 UTC', () => {
    const cases: [string, number][] = [
      ['2026-11-22T15:30:00Z', EXAMPLE],
      ['2026-11-22T15:30Z', EXAMPLE],
      ['2026-11-22T15:30:00+00:00', EXAMPLE],
      ['2026-11-22T15:30+00:00', EXAMPLE],
      ['2026-11-22T15:30:00.5Z', EXAMPLE + 500],
      ['2026-11-22T15:30:00.123Z', EXAMPLE + 123],
      ['2026-11-22T15:30:00.123999Z', EXAMPLE + 123], // beyond the millisecond: truncated
      ['2026-11-22T15:30:07.000+00:00', EXAMPLE + 7000],
      ['2028-02-29T00:00Z', Date.UTC(2028, 1, 29)],
      ['1969-12-31T23:59:59Z', -1000],
      ['0050-06-01T00:00Z', Date.UTC(2050, 5, 1) - 2000 * 365.2425 * 86_400_000],
      [' 2026-11-22T15:30Z ', EXAMPLE],
    ];
    for (const [s, t] of cases) assert.equal(parseTime(s), t, s);
  });

  it('accepts a DTG', () => {
    assert.equal(parseTime('221530ZNOV26'), EXAMPLE);
    assert.equal(parseTime('22 1530z nov 2026'), EXAMPLE);
  });

  it('agrees with Date on every toISOString of years 0000–9999', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        (d) => {
          assert.equal(parseTime(d.toISOString()), d.getTime());
          assert.equal(parseTime(d.toISOString().replace('Z', '+00:00')), d.getTime());
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('rejects local times, other offsets, impossible dates and other forms', () => {
    for (const bad of [
      '2026-11-22T15:30:00', // local time
      '2026-11-22T15:30',
      '2026-11-22T15:30:00+01:00',
      '2026-11-22T15:30:00-00:00',
      '2026-11-22T15:30:00+0000',
      '2026-11-22T15:30:00z',
      '2026-02-30T00:00Z', // no such day
      '2026-02-29T00:00Z',
      '2026-11-31T00:00Z',
      '2026-00-10T00:00Z',
      '2026-13-01T00:00Z',
      '2026-11-00T00:00Z',
      '2026-11-22T24:00Z',
      '2026-11-22T15:60Z',
      '2026-11-22T15:30:60Z',
      '2026-11-22',
      '2026-11-22 15:30Z',
      '2026-11-22t15:30Z',
      '2026-11-22T15:30:00.Z',
      '2026-11-22T15:30.5Z',
      '2026-11-22T1530Z',
      '2026-11-22T15Z',
      '2026-1-22T15:30Z',
      '26-11-22T15:30Z',
      '+002026-11-22T15:30Z',
      '2026-11-22T15:30:00ZZ',
      '2026-11-22T15:30:00Z[UTC]',
      '1700000000000',
      'now',
      '',
      '311200ZNOV26', // DTG of 31 NOV
    ]) {
      assertCoded(() => parseTime(bad), 'invalid_time', bad);
    }
  });
});

// Known values: the equator at the prime meridian is 3° west of the central meridian of UTM zone
// 31, easting 500 000 − 0.9996 · 333 978.6 m ≈ 166 021 m (100 km column A of set 1), northing 0
// (row A); the others are the mgrs package's own test values.
describe('toMgrs and fromMgrs', () => {
  it('gives known references, grouped with spaces, digits truncated', () => {
    assert.equal(toMgrs(0, 0), '31N AA 66021 00000');
    assert.equal(toMgrs(0, 0.00001), '31N AA 66021 00001');
    assert.equal(toMgrs(-115.0820944, 36.2361322), '11S PA 72349 11844');
    assert.equal(toMgrs(-115.0820944, 36.2361322, 3), '11S PA 723 118');
    assert.equal(toMgrs(-115.0820944, 36.2361322, 1), '11S PA 7 1');
    assert.equal(toMgrs(-115.0820944, 36.2361322, 0), '11S PA');
  });

  it('reads known references in any spacing and case', () => {
    for (const s of ['33UXP04', '33U XP 0 4', '33uxp04', ' 33U XP 04 ']) {
      const [lon, lat] = fromMgrs(s);
      assert.ok(Math.abs(lon - 16.4145) < 1e-5 && Math.abs(lat - 48.24949) < 1e-5, s);
    }
    const [lon, lat] = fromMgrs('24XWT783908');
    assert.ok(Math.abs(lon - -32.66433) < 1e-5 && Math.abs(lat - 83.62778) < 1e-5);
    const compact = fromMgrs('11SPA7234911844');
    assert.deepEqual(fromMgrs('11S PA 72349 11844'), compact);
    assert.deepEqual(fromMgrs('11s pa 7234911844'), compact);
    assert.ok(metres(compact, [-115.0820944, 36.2361322]) < 1);
  });

  it('round-trips to within the cell between 80° S and 84° N', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -180, max: 180, noNaN: true }),
        fc.double({ min: -80, max: 84, noNaN: true }),
        fc.integer({ min: 0, max: 5 }),
        (lon, lat, digits) => {
          const s = toMgrs(lon, lat, digits);
          const numbers = digits === 0 ? '' : ` \\d{${digits}} \\d{${digits}}`;
          assert.match(s, new RegExp(`^\\d{1,2}[C-HJ-NP-X] [A-HJ-NP-Z][A-HJ-NP-V]${numbers}$`));
          const centre = fromMgrs(s);
          // The centre of a square cell of side `cell` is within half its diagonal (grid
          // metres; the UTM scale factor changes that by < 0.1 %); 100 km squares are clipped
          // near 84° N, hence the looser bound there.
          const cell = 10 ** (5 - digits);
          assert.ok(metres([lon, lat], centre) <= (digits === 0 ? 0.75 : 0.71) * cell);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('stays in zone 60 just west of the antimeridian (the library rounds to zone 61)', () => {
    for (const digits of [0, 5]) {
      const s = toMgrs(179.99999999999997, 0, digits);
      assert.equal(s, toMgrs(180, 0, digits));
      assert.match(s, /^60N /);
      assert.ok(metres([180, 0], fromMgrs(s)) <= 0.75 * 10 ** (5 - digits));
    }
    assert.match(toMgrs(-180, 0), /^1N /);
  });

  it("returns '' beyond 84° N and 80° S, and a reference at the limits", () => {
    assert.equal(toMgrs(0, 84.0001), '');
    assert.equal(toMgrs(0, -80.0001), '');
    assert.equal(toMgrs(45, 90), '');
    assert.equal(toMgrs(45, -90), '');
    assert.match(toMgrs(0, 84), /^31X /);
    assert.match(toMgrs(0, -80), /^31C /);
    fc.assert(
      fc.property(
        fc.double({ min: -180, max: 180, noNaN: true }),
        fc.oneof(
          fc.double({ min: 84.000001, max: 90, noNaN: true }),
          fc.double({ min: -90, max: -80.000001, noNaN: true }),
        ),
        (lon, lat) => {
          assert.equal(toMgrs(lon, lat), '');
        },
      ),
    );
  });

  it('rejects coordinates and digits out of range', () => {
    for (const [lon, lat, digits] of [
      [Number.NaN, 0, 5],
      [181, 0, 5],
      [0, 90.5, 5],
      [0, Number.NEGATIVE_INFINITY, 5],
      [0, 0, 6],
      [0, 0, -1],
      [0, 0, 2.5],
    ] as const) {
      assert.throws(
        () => toMgrs(lon, lat, digits),
        (e: unknown) => e instanceof DeconflictError && e.code === 'invalid_argument',
      );
    }
  });

  it('rejects bad references with invalid_argument', () => {
    for (const bad of [
      '',
      'garbage',
      '33U',
      '33UXP041', // odd number of digits
      '33U XP 0 41', // unequal groups
      '33UXP123456123456', // more than 5 digits
      '33UXP12345X7855',
      '0UXP04', // no zone 0
      '61UXP04',
      '33IXP04', // no band I
      '33AXP04', // polar band
      'ZAH1234512345', // UPS
      '33UAA04', // column A is not used in zone 33
      '33UXW04', // no row W
      '33UXI04',
      '31NAV', // row V lies 17° away from band N
      '1CAA', // square outside zone 1
    ]) {
      assertCoded(() => fromMgrs(bad), 'invalid_argument', bad);
    }
  });
});

describe('formatDistance', () => {
  it('formats each range', () => {
    const cases: [number, string][] = [
      [0, '0 m'],
      [0.3, '0.3 m'],
      [0.04, '< 0.1 m'],
      [1e-9, '< 0.1 m'],
      [0.05, '0.1 m'],
      [0.94, '0.9 m'],
      [0.96, '1 m'],
      [1, '1 m'],
      [849.5, '850 m'],
      [850, '850 m'],
      [999.4, '999 m'],
      [999.6, '1.00 km'],
      [1000, '1.00 km'],
      [1250, '1.25 km'],
      [1254.9, '1.25 km'],
      [9994, '9.99 km'],
      [9996, '10.0 km'],
      [12_400, '12.4 km'],
      [12_449, '12.4 km'],
      [99_940, '99.9 km'],
      [99_960, '100 km'],
      [1_234_000, '1,234 km'],
      [12_345_678, '12,346 km'],
      [20_003_931, '20,004 km'],
    ];
    for (const [m, text] of cases) assert.equal(formatDistance(m), text, String(m));
  });

  it('never shows a non-zero distance as 0, and is within half a unit of the value', () => {
    fc.assert(
      fc.property(fc.double({ min: Number.MIN_VALUE, max: 2.1e7, noNaN: true }), (m) => {
        const text = formatDistance(m);
        if (text === '< 0.1 m') return assert.ok(m < 0.05);
        const match = /^([\d,]+(?:\.(\d+))?) (m|km)$/.exec(text);
        assert.ok(match, text);
        const shown = Number((match[1] as string).replaceAll(',', ''));
        assert.ok(shown > 0, text);
        const scale = match[3] === 'km' ? 1000 : 1;
        const unit = 10 ** -(match[2]?.length ?? 0) * scale;
        assert.ok(Math.abs(shown * scale - m) <= unit / 2 + 1e-9 * m, `${m} → ${text}`);
      }),
      { numRuns: 5000 },
    );
  });

  it('rejects what is not a distance', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => formatDistance(bad), RangeError);
    }
  });
});

function conflict(over: Partial<Conflict>): Conflict {
  return {
    rule: 'strike_protected',
    severity: 'critical',
    a: 'strike-1',
    b: 'hospital-7',
    internal: false,
    distance_m: 1250,
    window: { start: EXAMPLE, end: EXAMPLE + 3_600_000 },
    closest: [
      [0, 0],
      [0.01, 0],
    ],
    ...over,
  };
}

/** Offsets where the header's columns start (header names contain no spaces). */
function columnStarts(header: string): number[] {
  return [...header.matchAll(/\S+/g)].map((m) => m.index);
}

/** The cells of a table line, cut at the header's column starts. */
function cells(line: string, starts: readonly number[]): string[] {
  return starts.map((s, i) => line.slice(s, starts[i + 1]).trimEnd());
}

describe('formatConflictTable', () => {
  const conflicts = [
    conflict({}),
    conflict({
      rule: 'movement_movement',
      severity: 'high',
      a: 'convoy-north-0001',
      b: 'convoy-south-0002',
      internal: true,
      distance_m: 0,
      window: { start: EXAMPLE + 60_000, end: null },
      closest: [
        [-115.0820944, 36.2361322],
        [-115.0820944, 36.2361322],
      ],
    }),
    conflict({
      rule: 'air_air',
      severity: 'low',
      a: 'a',
      b: 'b',
      distance_m: 123_456,
      closest: [
        [10, 85],
        [10, 86],
      ],
    }),
  ];
  const text = formatConflictTable(conflicts, 42);
  const lines = text.split('\n');

  it('has a header, one line per conflict in the given order, and the summary', () => {
    assert.equal(lines.length, 5);
    assert.deepEqual(lines[0]?.split(/ +/), [
      'SEV',
      'RULE',
      'A',
      'B',
      'INT',
      'DIST',
      'FROM',
      'TO',
      'CLOSEST',
    ]);
    assert.equal(lines[4], '3 conflicts among 42 declarations');
    assert.ok(!text.endsWith('\n'));
  });

  it('starts every column at the same offset on every line, padded to the widest cell', () => {
    const starts = columnStarts(lines[0] as string);
    assert.equal(starts.length, 9);
    const rows = lines.slice(0, 4).map((l) => cells(l, starts));
    assert.deepEqual(rows.slice(1), [
      [
        'CRITICAL',
        'strike_protected',
        'strike-1',
        'hospital-7',
        '',
        '1.25 km',
        '221530ZNOV26',
        '221630ZNOV26',
        '31N AA 66021 00000',
      ],
      [
        'HIGH',
        'movement_movement',
        'convoy-north-0001',
        'convoy-south-0002',
        'yes',
        '0 m',
        '221531ZNOV26',
        'open',
        '11S PA 72349 11844',
      ],
      ['LOW', 'air_air', 'a', 'b', '', '123 km', '221530ZNOV26', '221630ZNOV26', '85.00000,10.00000'],
    ]);
    for (const line of lines.slice(0, 4)) {
      assert.equal(line, line.trimEnd(), 'no trailing spaces');
      for (const s of starts.slice(1)) {
        assert.equal(line.slice(s - 2, s), '  ', `two spaces before offset ${s} in ${line}`);
      }
    }
    // Each column is exactly as wide as its widest cell (plus the two-space gap).
    for (let i = 0; i + 1 < starts.length; i++) {
      const widest = Math.max(...rows.map((r) => (r[i] as string).length));
      assert.equal((starts[i + 1] as number) - (starts[i] as number), widest + 2, `column ${i}`);
    }
  });

  it('keeps untrusted ids on one line', () => {
    const out = formatConflictTable([conflict({ a: 'evil\nid\u001b[2J', b: 'x\u202ey\u2028' })], 2);
    const outLines = out.split('\n');
    assert.equal(outLines.length, 3);
    assert.ok(outLines[1]?.includes('evil\\u000aid\\u001b[2J'));
    assert.ok(outLines[1]?.includes('x\\u202ey\\u2028'));
    assert.equal(outLines[2], '1 conflict among 2 declarations');
  });

  it('says so when there is no conflict', () => {
    assert.equal(formatConflictTable([], 5), 'no conflict among 5 declarations');
    assert.equal(conflictSummary(0, 1), 'no conflict among 1 declaration');
    assert.equal(conflictSummary(1, 2), '1 conflict among 2 declarations');
    assert.equal(conflictSummary(1234, 5000), '1,234 conflicts among 5,000 declarations');
  });
});

describe('formatErrorLines', () => {
  it('writes one line per error, with the feature and path when known', () => {
    const text = formatErrorLines([
      {
        code: 'window_empty',
        feature: { index: 3, id: 'x' },
        path: 'properties.end',
        message: 'end is not after start',
      },
      {
        code: 'missing_property',
        feature: { index: 0 },
        path: 'properties.kind',
        message: 'no kind',
      },
      { code: 'invalid_time', feature: null, path: '', message: 'bad --at' },
      { code: 'invalid_json', feature: null, path: 'features', message: 'line 1\nline 2' },
    ]);
    assert.deepEqual(text.split('\n'), [
      'feature 3 (id "x") properties.end: window_empty: end is not after start',
      'feature 0 properties.kind: missing_property: no kind',
      'invalid_time: bad --at',
      'features: invalid_json: line 1\\u000aline 2',
    ]);
    assert.equal(formatErrorLines([]), '');
  });
});

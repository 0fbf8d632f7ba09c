/**
 * Hostile inputs, by where they go: a JSON value (any field of any body), a whole body, a path
 * segment, a query string, a content type, an Authorization header. Each list is what attackers
 * and broken clients actually send: wrong types, extreme and unrepresentable numbers, nesting
 * thousands deep, huge strings, ill-formed Unicode (lone surrogates, control characters, overlong
 * and surrogate UTF-8), prototype keys, duplicate keys, bad %-escapes and very long ids.
 *
 * Sizes are bounded so that a run of a million inputs stays a run of a million inputs: a huge
 * string is at most 1 MB (the body limit is 5 MiB; going past it is its own, rarer, case).
 */
import fc from 'fast-check';
import { Bytes, type J, Obj, Raw, wellFormed } from './json.ts';

/** Nesting `n` deep: arrays or objects, as raw text (no recursion anywhere to build or print it). */
export const deepNest = (n: number, kind: 'array' | 'object'): Raw =>
  kind === 'array'
    ? new Raw(`${'['.repeat(n)}${']'.repeat(n)}`, `[[[… ${n} deep …]]]`)
    : new Raw(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`, `{"a":{"a":… ${n} deep …}}`);

/** A long string that prints as its length. */
const long = (n: number, ch = 'x'): fc.Arbitrary<string> => fc.constant(ch.repeat(n));

/** Strings that are not well-formed UTF-16 or carry characters no field should hold. */
export const illFormedStrings: readonly string[] = [
  '\ud800',
  's\ud800x',
  '\udfff',
  'a\udc00\ud800b',
  '\ud83d', // half an emoji
  '\u0000',
  'nul\u0000inside',
  'bell\u0007',
  '\u001b[31mred\u001b[0m',
  'line\r\nbreak',
  '\u0085',
  '\u009b31m',
  '\u2028',
  '\u2029',
  '\u202eevil',
  '\ufeffbom',
  '\ufffe',
  '\uffff',
  '\u200b',
  'e\u0301\u0301\u0301\u0301\u0301',
  '👩\u200d👩\u200d👧',
  'ｃｏａｌｉｔｉｏｎ',
];

/** Strings that look like something else: numbers, keywords, paths, injections. */
export const trickyStrings: readonly string[] = [
  '',
  ' ',
  '\t',
  'null',
  'true',
  '0',
  '-0',
  '1e300',
  'NaN',
  'Infinity',
  '-Infinity',
  '9007199254740993',
  '0x10',
  '1_000',
  '١٢٣',
  '%00',
  '%zz',
  '../../etc/passwd',
  '..',
  '.',
  '/',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '"; DROP TABLE ledger; --',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template injection, sent as it is.
  '${7*7}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'coalition',
  'coalition:',
  ':',
  'coalition:x:y',
  'northern-forces.operator',
  'hub.admin',
  '2026-11-23T10:00:00Z',
  '2026-02-30T10:00:00Z',
  '231000ZNOV26',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  'http://169.254.169.254.invalid/',
  'javascript:alert(1)',
  'A'.repeat(64),
  'A'.repeat(65),
  'A'.repeat(129),
  'A'.repeat(200),
  'A'.repeat(201),
];

/** Any string a client can send, from the tricky lists to random and huge ones. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...illFormedStrings) },
  { weight: 4, arbitrary: fc.constantFrom(...trickyStrings) },
  // Any UTF-16 code unit, lone surrogates included.
  {
    weight: 3,
    arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 50 }) },
  {
    weight: 1,
    arbitrary: fc.oneof(long(1001), long(4001), long(10_000), long(100_000, 'é'), long(1_000_000)),
  },
);

/** Numbers at and past every edge, as values and as tokens `JSON.stringify` cannot write. */
export const hostileNumber: fc.Arbitrary<J> = fc.oneof(
  fc.constantFrom<J>(
    -1,
    0,
    0.5,
    1.5,
    -1e-7,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.MIN_VALUE,
    1e300,
    -1e300,
  ),
  fc.constantFrom<J>(
    new Raw('-0'),
    new Raw('-0.0'),
    new Raw('1e999'),
    new Raw('-1e999'),
    new Raw('1e-400'),
    new Raw('9007199254740992'),
    new Raw('9007199254740993'),
    new Raw('123456789012345678901234567890'),
    new Raw('1E+2'),
    new Raw('0e0'),
    new Raw('1.0'),
  ),
  fc.double(),
  fc.integer(),
);

/** Keys that are not fields: prototype keys, empty, huge, ill-formed. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    '',
    'a'.repeat(10_000),
    '\ud800',
    '\u0000',
    'extra',
  ),
  fc.string({ maxLength: 10 }),
);

/** A JSON value that does not belong where it is put. */
export const hostileValue: fc.Arbitrary<J> = fc.letrec<{ v: J }>((tie) => ({
  v: fc.oneof(
    { weight: 6, arbitrary: hostileString },
    { weight: 4, arbitrary: hostileNumber },
    { weight: 2, arbitrary: fc.constantFrom<J>(null, true, false, [], new Obj([])) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<J>(
        deepNest(64, 'array'),
        deepNest(1000, 'array'),
        deepNest(5000, 'array'),
        deepNest(5000, 'object'),
        deepNest(20_000, 'array'),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<J>(
        new Raw(`[${Array(10_000).fill('0').join(',')}]`, '[0,0,0,… 10,000 items]'),
        new Obj([
          ['__proto__', new Obj([['admin', true]])],
          ['constructor', new Obj([['prototype', new Obj([['x', 1]])]])],
        ]),
        new Obj([
          ['a', 1],
          ['a', 2],
        ]),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.array(tie('v'), { maxLength: 3 }),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(hostileKey, tie('v')), { maxLength: 3 })
        .map((entries) => new Obj(entries)),
    },
  ),
})).v;

/** Bytes that are not UTF-8, put where a string's characters go. */
const BAD_UTF8: readonly [string, Buffer][] = [
  ['overlong "/" (C0 AF)', Buffer.from([0xc0, 0xaf])],
  ['overlong NUL (C0 80)', Buffer.from([0xc0, 0x80])],
  ['UTF-8 of a surrogate (ED A0 80)', Buffer.from([0xed, 0xa0, 0x80])],
  ['a stray continuation byte (80)', Buffer.from([0x80])],
  ['a truncated sequence (E2 82)', Buffer.from([0xe2, 0x82])],
  ['FF', Buffer.from([0xff])],
  ['a code point past U+10FFFF (F4 90 80 80)', Buffer.from([0xf4, 0x90, 0x80, 0x80])],
];

/** A string value whose bytes are not UTF-8. */
export const badUtf8String: fc.Arbitrary<J> = fc
  .constantFrom(...BAD_UTF8)
  .map(
    ([label, bytes]) =>
      new Bytes(Buffer.concat([Buffer.from('"x'), bytes, Buffer.from('y"')]), `"x<${label}>y"`),
  );

/** Whole bodies that are broken as documents, whatever the route. */
export const brokenBody: fc.Arbitrary<J> = fc.oneof(
  fc.constantFrom<J>(
    new Raw(''),
    new Raw(' '),
    new Raw('{'),
    new Raw('}'),
    new Raw('{"a":}'),
    new Raw("{'a':1}"),
    new Raw('[1,]'),
    new Raw('{"a":1,}'),
    new Raw('nul'),
    new Raw('NaN'),
    new Raw('Infinity'),
    new Raw('undefined'),
    new Raw('\u0000'),
    new Raw('\ufeff{}', '<BOM>{}'),
    new Raw('{}garbage'),
    new Raw('{} {}'),
    new Raw('null'),
    new Raw('""'),
    new Raw('[]'),
    new Raw('0'),
    new Raw('-0'),
    new Raw('"\\ud800"'),
    new Raw('{"\\u0000":1}'),
    new Raw('{"__proto__":{"admin":true}}'),
    new Raw('{"constructor":{"prototype":{"admin":true}}}'),
    new Raw('{"a":"\\x41"}'),
    new Raw('{"a":"\\u12"}'),
    new Raw('{"a":"unterminated'),
    new Raw('{"a":"tab\there"}'),
    new Raw('<?xml version="1.0"?><a/>'),
    new Raw('username=a&password=b'),
  ),
  fc
    .constantFrom(...BAD_UTF8)
    .map(
      ([label, bytes]) =>
        new Bytes(Buffer.concat([Buffer.from('{"x'), bytes, Buffer.from('":1}')]), `{"x<${label}>":1}`),
    ),
  hostileValue,
);

/** Far past the body limit (5 MiB by default): a 6 MB string in an object. */
export const oversizeBody: fc.Arbitrary<J> = fc.constant(
  new Raw(`{"text":"${'x'.repeat(6_000_000)}"}`, '{"text":"xxx… (6,000,000 chars)"}'),
);

/** A path segment as sent (already %-encoded where it must be; some escapes broken on purpose). */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '%',
    '%z',
    '%zz',
    '%c0%af',
    '%ed%a0%80',
    '%ff',
    '%00',
    '%0a',
    '%2e%2e',
    '..',
    '.',
    '%2f',
    'a%2Fb',
    '%25',
    '%u0041',
    '%E2%80%AE',
    '%F0%9F%92%A9',
    'coalition:%ud800',
    'coalition%3Ax',
    ':',
    ';',
    '*',
    '~',
    "'",
    '""',
  ),
  fc.constantFrom(199, 200, 201, 1000, 10_000, 100_000).map((n) => 'a'.repeat(n)),
  hostileString.filter((s) => s.length <= 2000 && wellFormed(s)).map(encodeURIComponent),
);

/** A whole query string (without `?`) that no route expects. */
export const hostileQuery: fc.Arbitrary<string> = fc.constantFrom(
  'limit=1e300',
  'limit=-0',
  'limit=0x10',
  'limit=',
  'limit',
  'limit=1&limit=2',
  'limit=NaN',
  'limit=9007199254740993',
  'after=-1',
  'after=1e300',
  'since=99999999999999999999',
  'version=0',
  'version=1.5',
  '__proto__=1',
  '__proto__[admin]=1',
  'constructor=x',
  'a[b]=c',
  '%zz=1',
  'x=%zz',
  'status=%ff',
  'bbox=%ff',
  'bbox=-181,0,0,1',
  'bbox=0,1,0,0',
  'bbox=NaN,NaN,NaN,NaN',
  'start=%ed%a0%80',
  'party=%ed%a0%80',
  '&&&',
  '=',
  '==',
  `q=${'a'.repeat(100_000)}`,
  `${'a'.repeat(5_000)}=1`,
  'dry_run=TRUE',
  'dry_run=1',
);

/** Content types a client may put on a body, declared ones aside. */
export const hostileContentType: fc.Arbitrary<string | null> = fc.constantFrom(
  null,
  '',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=utf-8; charset=ascii',
  'APPLICATION/JSON',
  'application/jsonx',
  'application/json, text/plain',
  'application/problem+json',
  ';',
  '*/*',
  `application/json; a=${'b'.repeat(5_000)}`,
);

/** Authorization headers that are not a good token (a good one is chosen elsewhere). */
export const hostileAuthorization: fc.Arbitrary<string> = fc.constantFrom(
  'Bearer',
  'Bearer ',
  'Bearer x',
  'bearer x',
  'Basic YTpi',
  'Bearer a b',
  `Bearer ${'a'.repeat(201)}`,
  `Bearer ${'a'.repeat(10_000)}`,
  'Bearer ../../',
  'Bearer %00',
  'Token abc',
);

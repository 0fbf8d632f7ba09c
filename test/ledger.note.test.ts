/**
 * Signed notes and checkpoints (src/ledger/note.ts, issue #14) in the C2SP formats: byte for
 * byte what Go's golang.org/x/mod/sumdb/note writes and reads (its own test keys, notes and
 * signatures: Ed25519 signatures are deterministic, so signing Go's text with Go's key must give
 * Go's note exactly), the C2SP specifications' examples, and every way a note or a checkpoint
 * can be wrong — each refused with the reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { leafHash } from '../src/ledger/merkle.ts';
import {
  addSignatures,
  formatCheckpoint,
  fromBase64,
  keyHashOf,
  NoteError,
  type NoteErrorCode,
  newEd25519Key,
  openNote,
  parseCheckpoint,
  signerFromPrivateKey,
  signNote,
  toBase64,
  type Verifier,
  verifierFromKey,
} from '../src/ledger/note.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** `f` throws a NoteError with this code, its message matching `message` when given. */
function refuses(f: () => unknown, code: NoteErrorCode, message?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof NoteError, `a NoteError, not ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}

// --- Go's sumdb/note test data ------------------------------------------------------------------
// github.com/golang/mod sumdb/note/note.go (package doc) and note_test.go (TestSign, TestOpen,
// TestNewVerifier, TestVerifierList), commit fe2ec04f7c3c3aa6fad97631aafcff6e49e2d1db.

const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG =
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

/** Go's signer key is "PRIVATE+KEY+<name>+<hash>+base64(0x01 || 32-byte seed)". */
function goSeed(skey: string): Uint8Array {
  const raw = fromBase64(skey.split('+').slice(4).join('+')) as Uint8Array;
  assert.equal(raw[0], 1);
  return raw.slice(1);
}

const peter = (): Verifier => verifierFromKey(PETER_VKEY);
const enoch = (): Verifier => verifierFromKey(ENOCH_VKEY);

describe("Go's sumdb/note: the same keys, notes and signatures", () => {
  it("signing Go's text with Go's key gives Go's note, byte for byte", () => {
    const signer = signerFromPrivateKey('PeterNeumann', goSeed(PETER_SKEY));
    assert.equal(hex(signer.keyHash), 'c74f20a3');
    assert.equal(signNote(TEXT, signer), `${TEXT}\n${PETER_SIG}`);
  });

  it("reads Go's verifier keys: name, key hash, and the key that verifies Go's signatures", () => {
    const v = peter();
    assert.equal(v.name, 'PeterNeumann');
    assert.equal(hex(v.keyHash), 'c74f20a3');
    assert.equal(hex(enoch().keyHash), 'af0cfe78');
    const publicKey = (fromBase64(PETER_VKEY.split('+')[2] as string) as Uint8Array).slice(1);
    assert.equal(hex(keyHashOf('PeterNeumann', publicKey)), 'c74f20a3');
  });

  it("opens Go's doubly signed note: verified where the key is known, reported where not", () => {
    const note = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    const one = openNote(note, [peter()]);
    assert.equal(one.text, TEXT);
    assert.deepEqual(
      one.sigs.map((s) => [s.name, hex(s.keyHash), s.verified]),
      [
        ['PeterNeumann', 'c74f20a3', true],
        ['EnochRoot', 'af0cfe78', false],
      ],
    );
    assert.equal(one.sigs[0]?.base64, PETER_SIG.split(' ')[2]?.trim());
    const both = openNote(note, [peter(), enoch()]);
    assert.deepEqual(
      both.sigs.map((s) => s.verified),
      [true, true],
    );
    refuses(() => openNote(note, []), 'unverified_note', /PeterNeumann\+c74f20a3, EnochRoot\+af0cfe78/);
  });

  it('the C2SP signed-note example (c2sp.org/signed-note, "Verifier keys")', () => {
    // C2SP/C2SP signed-note.md, commit 5ba5ee830903e91240fc6f9f3a7a9293d49e69c9.
    const v = verifierFromKey('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k');
    const note =
      'This is an example message.\n\n' +
      '\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
    assert.equal(openNote(note, [v]).text, 'This is an example message.\n');
    refuses(() => openNote(note.replace('example message', 'example massage'), [v]), 'invalid_signature');
  });

  it("refuses what Go's TestOpen refuses, for the same reasons", () => {
    const malformed = [
      TEXT,
      `${TEXT}\n`,
      `${TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\x01${TEXT}\n${PETER_SIG}`,
      `${TEXT}\n\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${TEXT}\n${PETER_SIG}Unexpected line.\n`,
      `${TEXT}\n${PETER_SIG.repeat(101)}`,
    ];
    for (const note of malformed) refuses(() => openNote(note, [peter()]), 'malformed_note');
    // Invalid UTF-8 ("\xff" in Go's test), given as bytes.
    const bytes = Buffer.concat([Buffer.from([0xff]), Buffer.from(`${TEXT}\n${PETER_SIG}`)]);
    refuses(() => openNote(new Uint8Array(bytes), [peter()]), 'malformed_note', /UTF-8/);
    // The same note as valid bytes opens.
    assert.equal(openNote(new Uint8Array(Buffer.from(`${TEXT}\n${PETER_SIG}`)), [peter()]).text, TEXT);
    // A known key whose signature does not verify: the whole note is refused, naming the key.
    const forged = `${TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
    refuses(() => openNote(forged, [peter()]), 'invalid_signature', /PeterNeumann\+c74f20a3/);
  });

  it('counts repeated signatures once, as Go does, and refuses two verifiers of one key only when used', () => {
    const enochABCD = `${ENOCH_SIG.slice(0, 60)}ABCD${ENOCH_SIG.slice(60)}`;
    const note = `${TEXT}\n${PETER_SIG}${PETER_SIG}${ENOCH_SIG}${ENOCH_SIG}${enochABCD}`;
    const opened = openNote(note, [peter()]);
    assert.deepEqual(
      opened.sigs.map((s) => [s.name, s.verified]),
      [
        ['PeterNeumann', true],
        ['EnochRoot', false],
        ['EnochRoot', false],
      ],
    );
    // Go's VerifierList(enoch, peter, enoch) with enoch made twice: ambiguous for Enoch only.
    refuses(
      () => openNote(`${TEXT}\n${ENOCH_SIG}`, [enoch(), peter(), enoch()]),
      'malformed_key',
      /EnochRoot/,
    );
    assert.equal(openNote(`${TEXT}\n${PETER_SIG}`, [enoch(), peter(), enoch()]).sigs.length, 1);
    // One verifier object given twice is the same key, not two.
    const e = enoch();
    assert.equal(openNote(`${TEXT}\n${ENOCH_SIG}`, [e, e]).sigs[0]?.verified, true);
  });

  it("refuses every mangling of a verifier key that Go's TestNewVerifier refuses", () => {
    let tried = 0;
    for (let i = 0; i <= PETER_VKEY.length; i++)
      for (let j = i + 1; j <= PETER_VKEY.length; j++) {
        if (i === 0 && j === PETER_VKEY.length) continue;
        refuses(() => verifierFromKey(PETER_VKEY.slice(i, j)), 'malformed_key');
        tried++;
      }
    for (let i = 0; i < PETER_VKEY.length; i++) {
      const mangled =
        PETER_VKEY.slice(0, i) + String.fromCharCode(PETER_VKEY.charCodeAt(i) + 1) + PETER_VKEY.slice(i + 1);
      refuses(() => verifierFromKey(mangled), 'malformed_key');
      tried++;
    }
    assert.ok(tried > 2000, `${tried} manglings`);
    // A key of the wrong length and an unknown algorithm, each with a matching key hash.
    refuses(
      () => verifierFromKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='),
      'malformed_key',
      // Go finds the length wrong; its last character also leaves unused bits set, which this
      // decoder refuses first (one spelling per value).
      /not base64/,
    );
    refuses(
      () => verifierFromKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
      'malformed_key',
      /unknown signature type/,
    );
    refuses(
      () => verifierFromKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
      'malformed_key',
      /c74f20a3/,
    );
  });
});

// --- Our own keys ------------------------------------------------------------------------------

describe('keys, signing and opening', () => {
  const hub = newEd25519Key('hub.example/deconflict');
  const hubVerifier = verifierFromKey(hub.verifierKey);

  it('a new key: its verifier key reads back, its private key signs as its signer does', () => {
    assert.match(hub.verifierKey, /^hub\.example\/deconflict\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    assert.equal(hub.privateKey.length, 32);
    assert.equal(hex(hubVerifier.keyHash), hex(hub.signer.keyHash));
    const again = signerFromPrivateKey('hub.example/deconflict', hub.privateKey);
    const msg = new TextEncoder().encode('x\n');
    assert.equal(hex(again.sign(msg)), hex(hub.signer.sign(msg)));
    assert.ok(hubVerifier.verify(msg, again.sign(msg)), 'the verifier accepts the signature');
    assert.notEqual(newEd25519Key('hub.example/deconflict').verifierKey, hub.verifierKey);
  });

  it('round trip: sign, open, the same text; text in any script', () => {
    const text = 'Hôpital 北 مستشفى 🏥\n\nwith a blank line inside\n';
    const opened = openNote(signNote(text, hub.signer), [hubVerifier]);
    assert.equal(opened.text, text);
    assert.deepEqual(
      opened.sigs.map((s) => [s.name, s.verified]),
      [['hub.example/deconflict', true]],
    );
  });

  it('refuses a note signed by another key of the same name (unknown key: not verified)', () => {
    const impostor = newEd25519Key('hub.example/deconflict');
    refuses(
      () => openNote(signNote('x\n', impostor.signer), [hubVerifier]),
      'unverified_note',
      /hub\.example/,
    );
  });

  it('refuses a signature that a verifier of that very name and key hash rejects', () => {
    const impostor = newEd25519Key('hub.example/deconflict');
    // The impostor's signature relabelled with the hub's key hash: the hub's key must verify it.
    const note = signNote('x\n', { ...impostor.signer, keyHash: hub.signer.keyHash });
    refuses(() => openNote(note, [hubVerifier]), 'invalid_signature', /hub\.example\/deconflict\+/);
  });

  it('refuses a flipped bit anywhere in the text or the signature', () => {
    const note = signNote('origin\n42\nroot\n', hub.signer);
    const [text, sigLine] = [note.slice(0, note.indexOf('\n\n') + 1), note.slice(note.indexOf('\n\n') + 2)];
    for (let i = 0; i < text.length - 1; i++) {
      const flipped = text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ 1) + text.slice(i + 1);
      if (/[\u0000-\u001f]/.test(flipped[i] as string)) continue; // not text: refused as malformed
      refuses(() => openNote(`${flipped}\n${sigLine}`, [hubVerifier]), 'invalid_signature');
    }
    const b64 = sigLine.slice(sigLine.lastIndexOf(' ') + 1, -1);
    const raw = fromBase64(b64) as Uint8Array;
    for (let bit = 32; bit < raw.length * 8; bit += 7) {
      const bad = raw.slice();
      bad[bit >>> 3] = (bad[bit >>> 3] as number) ^ (1 << (bit & 7));
      const line = sigLine.replace(b64, toBase64(bad));
      refuses(() => openNote(`${text}\n${line}`, [hubVerifier]), 'invalid_signature');
    }
  });

  it('refuses a wrong name, extra blank lines, a missing final newline, CRLF, a hyphen for the em dash', () => {
    const note = signNote('body\n', hub.signer);
    const renamed = note.replace('\u2014 hub.example/deconflict ', '\u2014 hub.example/other ');
    refuses(() => openNote(renamed, [hubVerifier]), 'unverified_note', /hub\.example\/other/);
    // A blank line more before the signatures makes it part of the text, which was not signed.
    refuses(() => openNote(note.replace('\n\n', '\n\n\n'), [hubVerifier]), 'invalid_signature');
    refuses(() => openNote(`\n${note}`, [hubVerifier]), 'invalid_signature');
    // After the signatures, or between two, a blank line leaves no signature block.
    refuses(() => openNote(`${note}\n`, [hubVerifier]), 'malformed_note', /no signature/);
    const twice = addSignatures(note, newEd25519Key('witness.example').signer);
    // (the hub's line then reads as text, and only the witness's unknown key signed "that" text).
    refuses(() => openNote(twice.replace(/\n(?=\u2014 witness)/, '\n\n'), [hubVerifier]), 'unverified_note');
    refuses(() => openNote(note.slice(0, -1), [hubVerifier]), 'malformed_note', /newline/);
    refuses(
      () => openNote(note.replaceAll('\n', '\r\n'), [hubVerifier]),
      'malformed_note',
      /control character/,
    );
    refuses(() => openNote(note.replace('\u2014 ', '- '), [hubVerifier]), 'malformed_note', /em dash/);
    refuses(() => openNote(note.replace('\u2014 ', '\u2014  '), [hubVerifier]), 'malformed_note', /key name/);
    refuses(() => openNote(note.replace(/=\n$/, '\n'), [hubVerifier]), 'malformed_note', /base64/);
  });

  it('refuses to sign what it could not open: no final newline, control characters, lone surrogates, bad names', () => {
    refuses(() => signNote('no newline', hub.signer), 'malformed_note', /newline/);
    refuses(() => signNote('tab\there\n', hub.signer), 'malformed_note', /control/);
    refuses(() => signNote('\ud800\n', hub.signer), 'malformed_note', /surrogate/);
    refuses(() => signNote('x\n'), 'malformed_note', /at least one/);
    for (const name of ['', 'a b', 'a+b', 'a\u00a0b', 'a\u2028b'])
      refuses(() => newEd25519Key(name), 'malformed_key', /key name/);
    refuses(() => signerFromPrivateKey('ok', new Uint8Array(31)), 'malformed_key', /32 bytes/);
  });

  it('cosigning: addSignatures keeps the signatures there and adds the new ones; one per key', () => {
    const witness = newEd25519Key('witness.example/party-a');
    const note = signNote('checkpoint\n', hub.signer);
    const cosigned = addSignatures(note, witness.signer);
    assert.ok(cosigned.startsWith(note), 'the hub’s signature stays first, unchanged');
    const w = verifierFromKey(witness.verifierKey);
    assert.deepEqual(
      openNote(cosigned, [hubVerifier, w]).sigs.map((s) => [s.name, s.verified]),
      [
        ['hub.example/deconflict', true],
        ['witness.example/party-a', true],
      ],
    );
    assert.deepEqual(
      openNote(cosigned, [w]).sigs.map((s) => [s.name, s.verified]),
      [
        ['hub.example/deconflict', false],
        ['witness.example/party-a', true],
      ],
    );
    // Signing again with a key already there replaces its line: still two signatures.
    const again = addSignatures(cosigned, witness.signer);
    assert.equal(again.split('\u2014 ').length - 1, 2);
    refuses(() => addSignatures('not a note', witness.signer), 'malformed_note');
  });
});

// --- Checkpoints -------------------------------------------------------------------------------

describe('checkpoints (c2sp.org/tlog-checkpoint)', () => {
  it("Go's tree note: the same text from the same tree, and back", () => {
    // golang/mod sumdb/tlog/note_test.go TestFormatTree: 123456789012 leaves, root RecordHash("hello world").
    const golden = 'go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n';
    const root = leafHash(new TextEncoder().encode('hello world'));
    assert.equal(formatCheckpoint({ origin: 'go.sum database tree', size: 123456789012, root }), golden);
    const cp = parseCheckpoint(golden, 'go.sum database tree');
    assert.equal(cp.size, 123456789012);
    assert.equal(hex(cp.root), hex(root));
    assert.deepEqual(cp.extensions, []);
    // Go's TestParseTree refusals: a size in hex, a root that is not 32 bytes.
    refuses(
      () => parseCheckpoint(golden.replace('123456789012', '0xabcdef')),
      'malformed_checkpoint',
      /size/,
    );
    refuses(() => parseCheckpoint(golden.replace('Bb0=', 'BTOOBIG=')), 'malformed_checkpoint', /root/);
    // An extension line is kept; junk without a final newline is not note text.
    assert.deepEqual(parseCheckpoint(`${golden}JOE\n`).extensions, ['JOE']);
    refuses(() => parseCheckpoint(`${golden}JOE`), 'malformed_checkpoint', /newline/);
  });

  it('the C2SP example checkpoint, signed by our key and opened: a signed tree head', () => {
    const text = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    const cp = parseCheckpoint(text);
    assert.deepEqual(
      [cp.origin, cp.size, toBase64(cp.root)],
      ['example.com/behind-the-sofa', 20852163, 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I='],
    );
    const log = newEd25519Key('example.com/behind-the-sofa');
    const note = signNote(formatCheckpoint(cp), log.signer);
    const opened = openNote(note, [verifierFromKey(log.verifierKey)]);
    assert.deepEqual(parseCheckpoint(opened.text, 'example.com/behind-the-sofa'), cp);
    refuses(
      () => parseCheckpoint(opened.text, 'example.com/another-log'),
      'malformed_checkpoint',
      /another-log/,
    );
  });

  it('refuses a bad origin line, a size that is not plain decimal, a root that is not 32 bytes of base64', () => {
    const root = toBase64(new Uint8Array(32).fill(7));
    const ok = (origin: string, size: string, r: string, ...more: string[]) =>
      [origin, size, r, ...more].map((l) => `${l}\n`).join('');
    assert.equal(parseCheckpoint(ok('log', '0', root)).size, 0);
    assert.equal(parseCheckpoint(ok('log', '9007199254740991', root)).size, 2 ** 53 - 1);
    refuses(() => parseCheckpoint(ok('', '1', root)), 'malformed_checkpoint', /origin/);
    for (const size of ['', '007', '00', '-1', '+1', '1e3', ' 1', '1 ', '1.0', '٣', '9007199254740992'])
      refuses(() => parseCheckpoint(ok('log', size, root)), 'malformed_checkpoint', /size/);
    const short = toBase64(new Uint8Array(31));
    for (const r of [
      '',
      short,
      root.slice(0, -1),
      `${root}=`,
      root.replace(/=$/, 'A'),
      `${root} `,
      'not base64!',
    ])
      refuses(() => parseCheckpoint(ok('log', '1', r)), 'malformed_checkpoint', /root/);
    // A base64 spelling with non-zero unused bits is another spelling of the same bytes: refused.
    refuses(() => parseCheckpoint(ok('log', '1', root.replace(/c=$/, 'd='))), 'malformed_checkpoint', /root/);
    refuses(() => parseCheckpoint('log\n1\n'), 'malformed_checkpoint', /three lines/);
    refuses(() => parseCheckpoint(ok('log', '1', root, '')), 'malformed_checkpoint', /empty extension line/);
    refuses(
      () => parseCheckpoint(ok('log', '1', root).replace('log', 'l\x00g')),
      'malformed_checkpoint',
      /control/,
    );
  });

  it('formatCheckpoint refuses what parseCheckpoint would', () => {
    const root = new Uint8Array(32);
    refuses(() => formatCheckpoint({ origin: '', size: 1, root }), 'malformed_checkpoint', /origin/);
    refuses(() => formatCheckpoint({ origin: 'a\nb', size: 1, root }), 'malformed_checkpoint', /origin/);
    for (const size of [-1, 1.5, Number.NaN, 2 ** 53])
      refuses(() => formatCheckpoint({ origin: 'log', size, root }), 'malformed_checkpoint', /size/);
    refuses(
      () => formatCheckpoint({ origin: 'log', size: 1, root: root.slice(1) }),
      'malformed_checkpoint',
      /root/,
    );
    for (const line of ['', 'two\nlines', 'tab\t'])
      refuses(
        () => formatCheckpoint({ origin: 'log', size: 1, root, extensions: [line] }),
        'malformed_checkpoint',
      );
  });

  it('round trip: parseCheckpoint(formatCheckpoint(c)) is c, for any checkpoint', () => {
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    const line = fc
      .string({ minLength: 1, unit: 'binary' })
      .filter((s) => !/[\u0000-\u001f]/.test(s) && !lone.test(s));
    fc.assert(
      fc.property(
        line,
        fc.maxSafeNat(),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(line, { maxLength: 3 }),
        (origin, size, root, extensions) => {
          const cp = parseCheckpoint(formatCheckpoint({ origin, size, root, extensions }));
          assert.deepEqual(
            [cp.origin, cp.size, hex(cp.root), cp.extensions],
            [origin, size, hex(root), extensions],
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});

/**
 * Members' keys on the command line (docs/transparency.md §4), for API clients such as curl:
 *
 *     deconflict key new --out FILE
 *         a new Ed25519 key, written as {private_key, public_key, id} (JSON, mode 0600, never
 *         over an existing file); prints its id and public key.
 *     deconflict sign --key FILE --origin O --act ACT --subject ID --by USER --party P
 *                     [--reply TEXT | --reason TEXT | --up-to N | --public-key B64 |
 *                      --version N --content-sha256 HEX | --version N --effective TIME]
 *         prints the Signed JSON ({statement, key, signature}) of the statement, `at` now, to put
 *         in a request's `signed` member.
 *
 * Which extra each act takes is what the hub checks (src/hub/signatures.ts): the
 * acknowledgements `reply` (null when none is given), message.read `up_to`, risk.accept
 * `reason`, key.register `public_key` (the key file's, when not given; its subject is the key
 * id when --subject is not given), agreement.sign `version` and `content_sha256`,
 * agreement.withdraw `version` and `effective` (docs/agreements.md §2). Anything else is refused
 * here rather than by the hub.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fromBase64 } from '../ledger/note.ts';
import {
  ACTS,
  type Act,
  keyId,
  newMemberKey,
  publicKeyOf,
  type Statement,
  signStatement,
} from '../ledger/statement.ts';
import type { Io } from './io.ts';

/** A member key file, as `key new` writes it. */
export interface MemberKeyFile {
  readonly private_key: string;
  readonly public_key: string;
  readonly id: string;
}

/** Read and check a key file: the public half and the id must be the private key's. */
export async function readKeyFile(path: string): Promise<MemberKeyFile> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read key file ${path}: ${(err as Error).message}`);
  }
  const k = json as Partial<MemberKeyFile> | null;
  if (typeof k?.private_key !== 'string' || typeof k.public_key !== 'string' || typeof k.id !== 'string')
    throw new Error(`${path} is not a key file ({private_key, public_key, id})`);
  const pub = publicKeyOf(k.private_key);
  if (pub === null) throw new Error(`${path}: private_key is not a 32-byte Ed25519 key in base64`);
  if (pub !== k.public_key || keyId(fromBase64(pub) as Uint8Array) !== k.id)
    throw new Error(`${path}: public_key or id is not the private key's`);
  return { private_key: k.private_key, public_key: k.public_key, id: k.id };
}

function argError(io: Io, command: string, message: string): number {
  io.stderr(`deconflict ${command}: ${message}\n`);
  return 2;
}

/** `deconflict key new --out FILE`. */
export async function keyCommand(args: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'new') return argError(io, 'key', 'the only subcommand is "key new --out FILE"');
  let out: string | undefined;
  try {
    out = parseArgs({ args: rest, options: { out: { type: 'string' } } }).values.out;
  } catch (err) {
    return argError(io, 'key new', (err as Error).message.replace(/\s+/g, ' '));
  }
  if (out === undefined) return argError(io, 'key new', '--out FILE is required');
  const key = newMemberKey();
  const file: MemberKeyFile = { private_key: key.privateKey, public_key: key.publicKey, id: key.id };
  try {
    // 'wx': never replace a key (its loss would orphan what it signed); 0600: it is a secret.
    await writeFile(out, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    return argError(io, 'key new', `cannot write ${out}: ${(err as Error).message}`);
  }
  io.stdout(`key id ${key.id}\npublic key ${key.publicKey}\n`);
  return 0;
}

type Extra = 'reply' | 'up-to' | 'reason' | 'public-key' | 'version' | 'content-sha256' | 'effective';

/** The extras each act takes (see the top of this file), as options. */
const EXTRA: Record<Act, readonly Extra[]> = {
  'alert.acknowledge': ['reply'],
  'message.acknowledge': ['reply'],
  'message.read': ['up-to'],
  'risk.accept': ['reason'],
  'key.register': ['public-key'],
  'agreement.sign': ['version', 'content-sha256'],
  'agreement.withdraw': ['version', 'effective'],
};
const EXTRAS: readonly Extra[] = [
  'reply',
  'reason',
  'up-to',
  'public-key',
  'version',
  'content-sha256',
  'effective',
];

/** `deconflict sign ...`: print a signed statement. */
export async function signCommand(args: readonly string[], io: Io): Promise<number> {
  let v: Record<string, string | undefined>;
  try {
    v = parseArgs({
      args: [...args],
      options: {
        key: { type: 'string' },
        origin: { type: 'string' },
        act: { type: 'string' },
        subject: { type: 'string' },
        by: { type: 'string' },
        party: { type: 'string' },
        reply: { type: 'string' },
        reason: { type: 'string' },
        'up-to': { type: 'string' },
        'public-key': { type: 'string' },
        version: { type: 'string' },
        'content-sha256': { type: 'string' },
        effective: { type: 'string' },
      },
    }).values as Record<string, string | undefined>;
  } catch (err) {
    return argError(io, 'sign', (err as Error).message.replace(/\s+/g, ' '));
  }
  for (const required of ['key', 'origin', 'act', 'by', 'party'])
    if (v[required] === undefined) return argError(io, 'sign', `--${required} is required`);
  const act = v.act as Act;
  if (!(ACTS as readonly string[]).includes(act))
    return argError(io, 'sign', `--act must be one of ${ACTS.join(', ')}, got "${v.act}"`);
  const given = EXTRAS.filter((o) => v[o] !== undefined);
  const allowed = EXTRA[act];
  for (const o of given)
    if (!allowed.includes(o))
      return argError(
        io,
        'sign',
        `--${o} does not belong to ${act} (it takes ${allowed.map((x) => `--${x}`).join(' ')})`,
      );
  let key: MemberKeyFile;
  try {
    key = await readKeyFile(v.key as string);
  } catch (err) {
    return argError(io, 'sign', (err as Error).message);
  }
  const subject = v.subject ?? (act === 'key.register' ? key.id : undefined);
  if (subject === undefined || subject === '') return argError(io, 'sign', '--subject is required');
  const base = {
    v: 1 as const,
    origin: v.origin as string,
    act,
    subject,
    by: v.by as string,
    party: v.party as string,
    at: new Date().toISOString(),
  };
  let statement: Statement;
  switch (EXTRA[act][0]) {
    case 'reply':
      statement = { ...base, reply: v.reply ?? null };
      break;
    case 'reason':
      if (v.reason === undefined) return argError(io, 'sign', `${act} needs --reason TEXT`);
      statement = { ...base, reason: v.reason };
      break;
    case 'up-to': {
      const n = Number(v['up-to']);
      if (v['up-to'] === undefined || !Number.isSafeInteger(n) || n < 1)
        return argError(io, 'sign', `${act} needs --up-to N (a whole number ≥ 1)`);
      statement = { ...base, up_to: n };
      break;
    }
    case 'public-key':
      statement = { ...base, public_key: v['public-key'] ?? key.public_key };
      break;
    default: {
      const n = Number(v.version);
      if (v.version === undefined || !Number.isSafeInteger(n) || n < 1)
        return argError(io, 'sign', `${act} needs --version N (a whole number ≥ 1)`);
      if (act === 'agreement.sign') {
        const hash = v['content-sha256'];
        if (hash === undefined || !/^[0-9a-f]{64}$/.test(hash))
          return argError(io, 'sign', `${act} needs --content-sha256 HEX (64 hex digits)`);
        statement = { ...base, version: n, content_sha256: hash };
      } else {
        const t = v.effective === undefined ? Number.NaN : Date.parse(v.effective);
        if (!Number.isFinite(t)) return argError(io, 'sign', `${act} needs --effective TIME (ISO 8601 UTC)`);
        statement = { ...base, version: n, effective: new Date(t).toISOString() };
      }
    }
  }
  const signed = signStatement(statement, fromBase64(key.private_key) as Uint8Array);
  io.stdout(`${JSON.stringify(signed)}\n`);
  return 0;
}

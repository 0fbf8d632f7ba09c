/**
 * Wire schemas of accounts: sessions, known devices, API tokens, parties and their members.
 */
import Type, { type Static } from 'typebox';
import {
  MAX_PASSWORD_LENGTH,
  MAX_REQUEST_RATE,
  MIN_PASSWORD_LENGTH,
  PARTY_ID_PATTERN,
  USERNAME_PATTERN,
} from '../domain/limits.ts';
import { Instant, Nullable, PartyRole, Role } from './common.ts';

/** A party member's name: `<party>.<name>`, the name without a dot (`username_prefix`). */
export const Username = Type.String({
  pattern: USERNAME_PATTERN,
  description:
    '"<party>.<name>": the party\'s id, a dot, and a name of letters, digits, "_", "-", "@" (no "."); at most 64 in all',
});

/** A new password: at least 12 characters (a short one is `weak_password`). */
export const NewPassword = Type.String({
  minLength: MIN_PASSWORD_LENGTH,
  maxLength: MAX_PASSWORD_LENGTH,
  'x-error': 'weak_password',
  description: 'a password has at least 12 characters',
});

/** A party id: letters, digits, "-", "_", "."; at most 64. */
export const PartyId = Type.String({
  pattern: PARTY_ID_PATTERN,
  description: 'letters, digits, "-", "_", "."',
});

export const LoginBody = Type.Object(
  {
    username: Type.String({ maxLength: 200, description: 'the login name' }),
    password: Type.String({ maxLength: MAX_PASSWORD_LENGTH, description: 'the password' }),
    device: Type.Optional(
      Type.String({
        maxLength: 200,
        description:
          "the device token an earlier login of this member answered (`device.token`): failed logins of others for the same name never hold a known device back (docs/security.md). One the hub does not know (expired, forgotten, another member's) is no error: the login goes on as from a new device.",
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'expected {"username": string, "password": string, "device"?: string}',
    examples: [
      { username: 'northern-forces.operator', password: 'demo-northern-forces' },
      {
        username: 'northern-forces.watch',
        password: 'demo-northern-forces',
        device: 'dcd_q2Vb1W3Ykq9mXo4nYc8Zr0hTzG5pL7sDfA6eJuNwRkM',
      },
    ],
  },
);
export type LoginBody = Static<typeof LoginBody>;

export const MemberView = Type.Object(
  {
    username: Type.String(),
    party: Nullable(Type.String()),
    roles: Type.Array(Role),
    disabled: Type.Boolean(),
  },
  { additionalProperties: false, title: 'Member' },
);
export type MemberView = Static<typeof MemberView>;

/** The device token a login answers: to keep, and to present as `device` on the next login. */
export const DeviceToken = Type.Object(
  {
    id: Type.String({ description: 'how the member sees and revokes it (`/api/v1/devices`)' }),
    token: Type.String({
      description:
        'the device token: keep it on this device and send it as `device` when logging in as this member again',
    }),
    expires_at: Instant,
  },
  {
    additionalProperties: false,
    title: 'DeviceToken',
    description:
      'this device, now known for this member for 90 days from its last login (the token presented, or a new one)',
  },
);
export type DeviceToken = Static<typeof DeviceToken>;

export const Session = Type.Object(
  {
    token: Type.String({ description: 'the bearer token; shown once' }),
    expires_at: Instant,
    member: Type.Object(
      { username: Type.String(), party: Nullable(Type.String()), roles: Type.Array(Role) },
      { additionalProperties: false },
    ),
    device: DeviceToken,
  },
  { additionalProperties: false, title: 'Session' },
);
export type Session = Static<typeof Session>;

/** A known device of the caller, without its token. */
export const DeviceView = Type.Object(
  { id: Type.String(), created_at: Instant, last_used_at: Instant, expires_at: Instant },
  { additionalProperties: false, title: 'Device' },
);
export type DeviceView = Static<typeof DeviceView>;

/** A whole number of requests (per second, or at once) a token may be given. */
const RequestCount = (description: string) =>
  Type.Integer({ minimum: 1, maximum: MAX_REQUEST_RATE, description });

/** A token's own request rate, as stored and listed. */
export const RateLimit = Type.Object(
  {
    per_second: RequestCount('requests per second, on average'),
    burst: RequestCount('requests at once, after a quiet spell'),
  },
  {
    additionalProperties: false,
    title: 'RateLimit',
    description:
      'the token’s own request rate (null: the hub’s default, as for every session); past it 429 `rate_limited` with Retry-After',
  },
);
export type RateLimit = Static<typeof RateLimit>;

export const TokenView = Type.Object(
  {
    id: Type.String(),
    name: Nullable(Type.String()),
    roles: Type.Array(Role),
    kind: Type.Enum(['session', 'api'] as const),
    created_at: Instant,
    expires_at: Nullable(Instant),
    revoked_at: Nullable(Instant),
    rate_limit: Nullable(RateLimit),
  },
  { additionalProperties: false, title: 'Token' },
);
export type TokenView = Static<typeof TokenView>;

export const NewToken = Type.Object(
  { token: Type.String({ description: 'the secret; shown once' }), ...TokenView.properties },
  { additionalProperties: false, title: 'NewToken' },
);
export type NewToken = Static<typeof NewToken>;

export const TokenBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'a label for the system, 1–100 characters',
    }),
    roles: Type.Optional(
      Type.Array(PartyRole, {
        maxItems: 4,
        description: 'a list of operator, watch_officer, senior_officer, party_admin',
      }),
    ),
    ttl_days: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 3650, description: 'a whole number of days from 1 to 3650' }),
    ),
    rate_limit: Type.Optional(
      Type.Object(
        {
          per_second: RequestCount(`requests per second, a whole number from 1 to ${MAX_REQUEST_RATE}`),
          burst: Type.Optional(
            RequestCount('requests at once (default twice per_second, within the ceiling)'),
          ),
        },
        {
          additionalProperties: false,
          description:
            'the token’s own request rate instead of the hub’s default, higher or lower, within the ceiling the hub’s operator sets (else 422 rate_above_ceiling, naming it)',
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        name: 'unit gateway',
        roles: ['operator'],
        ttl_days: 90,
        rate_limit: { per_second: 500, burst: 1000 },
      },
    ],
  },
);
export type TokenBody = Static<typeof TokenBody>;

export const PartyView = Type.Object(
  { id: Type.String(), name: Type.String() },
  { additionalProperties: false, title: 'Party' },
);
export type PartyView = Static<typeof PartyView>;

export const PartyBody = Type.Object(
  {
    id: PartyId,
    name: Type.String({ minLength: 1, maxLength: 200, description: '1–200 characters' }),
    admin: Type.Object(
      { username: Username, password: NewPassword },
      { additionalProperties: false, description: '{username, password} of the party administrator' },
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        id: 'relief-agency',
        name: 'Relief Agency',
        admin: { username: 'relief-agency.admin', password: 'a long passphrase' },
      },
    ],
  },
);
export type PartyBody = Static<typeof PartyBody>;

const Roles = Type.Array(PartyRole, {
  minItems: 1,
  maxItems: 4,
  description: 'a non-empty list of operator, watch_officer, senior_officer, party_admin',
});

export const MemberBody = Type.Object(
  { username: Username, password: NewPassword, roles: Roles },
  {
    additionalProperties: false,
    examples: [{ username: 'coalition.watch2', password: 'a long passphrase', roles: ['watch_officer'] }],
  },
);
export type MemberBody = Static<typeof MemberBody>;

export const MemberChange = Type.Object(
  {
    roles: Type.Optional(Roles),
    disabled: Type.Optional(Type.Boolean({ description: 'true or false; disabling revokes its tokens' })),
  },
  { additionalProperties: false },
);
export type MemberChange = Static<typeof MemberChange>;

export const PartyParams = Type.Object(
  { party: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export const MemberParams = Type.Object(
  {
    party: Type.String({ minLength: 1, maxLength: 200 }),
    username: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

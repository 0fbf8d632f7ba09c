/**
 * Wire schemas of accounts: sessions, API tokens, parties and their members.
 */
import Type, { type Static } from 'typebox';
import {
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  PARTY_ID_PATTERN,
  USERNAME_PATTERN,
} from '../domain/limits.ts';
import { Instant, Nullable, PartyRole, Role } from './common.ts';

/** A login name: letters, digits, ".", "_", "-", "@"; at most 64. */
export const Username = Type.String({
  pattern: USERNAME_PATTERN,
  description: 'letters, digits, ".", "_", "-", "@"; at most 64',
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
  },
  {
    additionalProperties: false,
    description: 'expected {"username": string, "password": string}',
    examples: [{ username: 'northern-forces.operator', password: 'demo-northern-forces' }],
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

export const Session = Type.Object(
  {
    token: Type.String({ description: 'the bearer token; shown once' }),
    expires_at: Instant,
    member: Type.Object(
      { username: Type.String(), party: Nullable(Type.String()), roles: Type.Array(Role) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, title: 'Session' },
);
export type Session = Static<typeof Session>;

export const TokenView = Type.Object(
  {
    id: Type.String(),
    name: Nullable(Type.String()),
    roles: Type.Array(Role),
    kind: Type.Enum(['session', 'api'] as const),
    created_at: Instant,
    expires_at: Nullable(Instant),
    revoked_at: Nullable(Instant),
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
  },
  { additionalProperties: false, examples: [{ name: 'unit gateway', roles: ['operator'], ttl_days: 90 }] },
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
        admin: { username: 'ra.admin', password: 'a long passphrase' },
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

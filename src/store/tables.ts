/**
 * The tables a whole hub is made of, as whole-hub export carries them, in an order that loads: a
 * row's references (foreign keys, and the rows a derived row describes) come in an earlier table.
 * Both adapters keep these tables under the same names with the same columns, so that
 * `Store.dump` of one and `Store.load` of the other move rows unchanged.
 *
 * Not listed: each adapter's own bookkeeping (`schema_migrations`, SQLite's lock and internals).
 */
export const HUB_TABLES = [
  'meta',
  'parties',
  'members',
  'tokens',
  'devices',
  'declarations',
  'declaration_readers',
  'declaration_boxes',
  'conflicts',
  'conflict_parties',
  'ledger',
  'log_keys',
  'checkpoints',
  'cosignatures',
  'member_keys',
  'shifts',
  'alerts',
  'events',
  'feed',
  'channels',
  'channel_parties',
  'messages',
  'webhooks',
  'deliveries',
  'probes',
  'probe_budgets',
  'agreements',
  'agreement_versions',
  'agreement_readers',
  'agreement_signatures',
  'agreement_withdrawals',
  'sealed',
  'sealed_tokens',
  'blind_checks',
  'blind_outputs',
] as const;

export type HubTable = (typeof HUB_TABLES)[number];

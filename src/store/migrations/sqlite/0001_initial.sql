-- 0001: the schema of the hub before schema versions were kept, exactly as it created it
-- (CREATE ... IF NOT EXISTS on every start). A database that has these tables but no
-- schema_migrations table was made by such a hub: the runner recognises it as version 1.
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS parties (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS members (
  username TEXT PRIMARY KEY, party TEXT REFERENCES parties(id), roles TEXT NOT NULL,
  password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS members_party ON members(party);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, username TEXT NOT NULL, party TEXT,
  roles TEXT NOT NULL, kind TEXT NOT NULL, name TEXT, created_at INTEGER NOT NULL,
  expires_at INTEGER, revoked_at INTEGER);
CREATE INDEX IF NOT EXISTS tokens_party ON tokens(party);
CREATE TABLE IF NOT EXISTS declarations (
  id TEXT NOT NULL, version INTEGER NOT NULL, party TEXT NOT NULL, kind TEXT NOT NULL,
  status TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER, body TEXT NOT NULL,
  created_at INTEGER NOT NULL, created_by TEXT NOT NULL, PRIMARY KEY (id, version));
CREATE INDEX IF NOT EXISTS declarations_status ON declarations(status);
CREATE TABLE IF NOT EXISTS conflicts (
  id TEXT PRIMARY KEY, a TEXT NOT NULL, b TEXT NOT NULL, a_party TEXT NOT NULL,
  b_party TEXT NOT NULL, status TEXT NOT NULL, rule TEXT NOT NULL, severity TEXT NOT NULL,
  detected_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS conflicts_a ON conflicts(a, status);
CREATE INDEX IF NOT EXISTS conflicts_b ON conflicts(b, status);
CREATE INDEX IF NOT EXISTS conflicts_a_party ON conflicts(a_party, status);
CREATE INDEX IF NOT EXISTS conflicts_b_party ON conflicts(b_party, status);
CREATE TABLE IF NOT EXISTS ledger (
  seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT, party TEXT, type TEXT NOT NULL,
  subject TEXT NOT NULL, payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shifts (
  id TEXT PRIMARY KEY, party TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,
  body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS shifts_party ON shifts(party, start_ms);
CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY, party TEXT NOT NULL, subject_type TEXT NOT NULL, subject TEXT NOT NULL,
  status TEXT NOT NULL, due_at INTEGER, created_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_party ON alerts(party, created_at);
CREATE INDEX IF NOT EXISTS alerts_due ON alerts(due_at) WHERE status = 'open' AND due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS alerts_subject ON alerts(subject_type, subject);
CREATE TABLE IF NOT EXISTS events (
  party TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, type TEXT NOT NULL,
  data TEXT NOT NULL, PRIMARY KEY (party, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS channels (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS channel_parties (
  party TEXT NOT NULL, channel TEXT NOT NULL, PRIMARY KEY (party, channel)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY, channel TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
  UNIQUE (channel, seq));
CREATE TABLE IF NOT EXISTS webhooks (id TEXT PRIMARY KEY, party TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS webhooks_party ON webhooks(party);
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY, webhook TEXT NOT NULL, status TEXT NOT NULL, next_at INTEGER,
  created_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(next_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_webhook ON deliveries(webhook, created_at);
CREATE TRIGGER IF NOT EXISTS ledger_append_only_update BEFORE UPDATE ON ledger
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS ledger_append_only_delete BEFORE DELETE ON ledger
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
-- INSERT OR REPLACE deletes the row it replaces without firing DELETE triggers: refuse it here.
CREATE TRIGGER IF NOT EXISTS ledger_append_only_replace BEFORE INSERT ON ledger
  WHEN EXISTS (SELECT 1 FROM ledger WHERE seq = NEW.seq)
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;

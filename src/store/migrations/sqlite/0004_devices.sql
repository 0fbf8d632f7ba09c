-- 0004: known devices (docs/security.md). A member's device that once logged in holds a random
-- device token; only its SHA-256 is kept here. A login that presents a valid one is not held
-- back by failed logins of others for the same name. Rows are per member, expire, and are
-- deleted when revoked (the ledger records the revocation).
CREATE TABLE devices (
  id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, username TEXT NOT NULL,
  created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX devices_username ON devices(username, last_used_at);

-- 0003: probing of hidden declarations (docs/visibility.md). A probe is a real submission that
-- conflicted with a declaration hidden from its party; the owner of that declaration sets how
-- many such conflicts per UTC day each other party is answered before they are withheld.
CREATE TABLE probes (
  id TEXT PRIMARY KEY, caller TEXT NOT NULL, owner TEXT NOT NULL, at INTEGER NOT NULL,
  conflict TEXT NOT NULL, withheld INTEGER NOT NULL, body TEXT NOT NULL);
-- Counting a pair's probes of a day, and listing an owner's newest first.
CREATE INDEX probes_pair ON probes(owner, caller, at);
CREATE INDEX probes_owner ON probes(owner, at);
CREATE TABLE probe_budgets (
  owner TEXT NOT NULL, caller TEXT NOT NULL, per_day INTEGER NOT NULL CHECK (per_day >= 0),
  body TEXT NOT NULL, PRIMARY KEY (owner, caller)) WITHOUT ROWID;

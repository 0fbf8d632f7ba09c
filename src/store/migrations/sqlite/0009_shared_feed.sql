-- 0009: the shared feed. A change every party may see (a declaration whose visibility is `all`)
-- is written once, to `feed`, numbered 1, 2, 3... (`useq`, without gaps: a row is numbered one
-- past the last when written, and a rolled-back write takes its number back with it). A party's
-- own stream rows keep their contiguous `seq` and record in `pub` how many feed rows existed when
-- each was written; a party's stream is the merge of both (src/store/sqlite.ts, "events").
-- Rows written before this migration have `pub` 0: every feed row comes after them.
CREATE TABLE feed (
  useq INTEGER PRIMARY KEY, at INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL);
ALTER TABLE events ADD COLUMN pub INTEGER NOT NULL DEFAULT 0;

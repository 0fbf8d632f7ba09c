-- 0008: an API token's own request rate (docs/security.md, "Request rates"): requests per second
-- and burst, both NULL for a token that takes the hub's default (every token made before).
ALTER TABLE tokens ADD COLUMN rate_per_second INTEGER;
ALTER TABLE tokens ADD COLUMN rate_burst INTEGER;

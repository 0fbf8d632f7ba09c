/**
 * Writes docs/errors.md from the error registry and the HTTP mapping, so the two never drift:
 * `node --import tsx scripts/errors-doc.ts`. A test checks that every code is documented.
 */
import { writeFileSync } from 'node:fs';
import { ERROR_CODES, type ErrorCode } from '../src/errors.ts';
import { HTTP_STATUS } from '../src/server/errors.ts';

let out = `# Error codes

Every error the engine, the hub or the command line reports carries one of these codes, from the
one registry in \`src/errors.ts\`. Each detail names the feature (\`{index, id}\` in the submitted
collection, or \`null\`), the JSON path of the offending value, and a message for people. Input
with any error is rejected whole and changes nothing; every problem found is listed, not only
the first.

- \`deconflict check\` exits with status 2 on any of them and, with \`--format json\`, prints
  \`{"errors": [{"code", "feature", "path", "message"}]}\` on standard output (with
  \`--format table\`, one readable line per error on standard error).
- The hub answers \`{"errors": [...]}\` with the HTTP status below (the highest among the details).

| code | HTTP | meaning |
|---|---|---|
`;
for (const [code, meaning] of Object.entries(ERROR_CODES)) {
  out += `| \`${code}\` | ${HTTP_STATUS[code as ErrorCode]} | ${meaning} |\n`;
}
writeFileSync(new URL('../docs/errors.md', import.meta.url), out);

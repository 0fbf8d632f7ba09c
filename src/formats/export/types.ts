/**
 * What an exporter is given and what it gives back. A `Picture` is one party's view at one
 * instant, assembled by the hub (src/hub/exports.ts) from its own views only: the declarations the
 * party may see in clear, its conflicts and its alerts, already rendered for it. Declarations come
 * as an async iterable, read from the store a page at a time, so that an exporter writes a
 * 100,000-declaration document without ever holding it whole; conflicts and alerts are bounded
 * lists. An exporter writes its file as a stream of chunks (text or bytes) that the server pipes
 * to the client and the CLI to a file.
 */
import type { ConflictView, DeclarationFeature } from '../../api/declarations.ts';
import type { AlertView } from '../../api/watch.ts'; // AlertView is in src/api/watch.ts

export interface Picture {
  readonly party: string;
  readonly generated_at: number /* epoch ms */;
  readonly declarations: AsyncIterable<DeclarationFeature>;
  readonly conflicts: readonly ConflictView[];
  readonly alerts: readonly AlertView[];
}

export interface Exporter {
  readonly format: string;
  readonly mediaType: string;
  readonly extension: string;
  write(p: Picture): AsyncIterable<string | Uint8Array>;
}

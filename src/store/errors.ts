/**
 * Why the store cannot open a data directory. Each error carries a stable `code` and a message
 * that says what happened and what to do; the CLI prints the message and exits with status 2.
 * They are operational, not domain errors: no HTTP request can cause them, so they are not in
 * the registry of `src/errors.ts`.
 */

/** The common class: catch this to report any of the reasons below. */
export abstract class DataDirectoryError extends Error {
  abstract readonly code: string;
}

/** Another process (or another store in this one) holds the data directory. */
export class DataDirectoryLocked extends DataDirectoryError {
  readonly code = 'data_directory_locked';
  constructor(dir: string, holder: string) {
    super(
      `the data directory ${dir} is in use by another deconflict process (${holder}); ` +
        'stop it first, or give this one another --data directory',
    );
    this.name = 'DataDirectoryLocked';
  }
}

/** The data directory was written by a newer deconflict, whose schema this one does not know. */
export class DataDirectoryTooNew extends DataDirectoryError {
  readonly code = 'data_directory_too_new';
  constructor(
    dir: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `the data directory ${dir} is at schema version ${found}, but this deconflict knows versions up ` +
        `to ${supported} only: it was upgraded by a newer release. Run that release (or a newer one), ` +
        'or restore a copy of the directory taken before the upgrade. Nothing was changed.',
    );
    this.name = 'DataDirectoryTooNew';
  }
}

/**
 * The database is not one this deconflict made: tables without a schema version that are not
 * those of a hub from before versions were kept, or a version applied under another name (a
 * build from a diverging branch).
 */
export class DataDirectoryUnrecognised extends DataDirectoryError {
  readonly code = 'data_directory_unrecognised';
  constructor(dir: string, why: string) {
    super(
      `the data directory ${dir} does not hold a database this deconflict can open: ${why}. ` +
        'Check that --data names the right directory. Nothing was changed.',
    );
    this.name = 'DataDirectoryUnrecognised';
  }
}

/** A migration failed; it was rolled back, so the directory stays at the version before it. */
export class MigrationFailed extends DataDirectoryError {
  readonly code = 'migration_failed';
  constructor(dir: string, migration: string, version: number, cause: unknown) {
    super(
      `migration ${migration} of the data directory ${dir} failed: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        `It was rolled back: the directory is still at schema version ${version}.`,
      { cause },
    );
    this.name = 'MigrationFailed';
  }
}

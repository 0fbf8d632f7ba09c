/**
 * Dependency rules (checked by `npm run lint`): no import circles, and the layers of
 * ARCHITECTURE.md — the engine is pure, the domain records are data over the engine's types, the
 * store knows nothing of the hub or the server, the hub nothing of the server, and the console
 * takes from src/ only what the browser shares with the hub (engine, field conventions, the API's
 * types and schemas, the error registry, the ledger's platform-free signing and proofs).
 *
 * Type-only imports count (`tsPreCompilationDeps`): a circle through `import type` is still a
 * circle between two modules that must be understood together.
 *
 * Run: `node .dependency-cruiser.cjs src web/src bench test` (what `npm run lint` does). This
 * file is also an ordinary dependency-cruiser configuration (`depcruise src web/src bench test
 * --config .dependency-cruiser.cjs`), but the `depcruise` command refuses to start on Node 20,
 * which the project supports; its API runs there, so run as a script this file cruises through
 * the API and prints the same report.
 */

/** Project code, as opposed to npm packages and Node's own modules. */
const PROJECT = '^(src|web|test|bench|scripts|bin)/';

/** @type {import('dependency-cruiser').IConfiguration} */
const config = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: the modules on it can be neither read nor changed one at a time.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'engine-is-pure',
      severity: 'error',
      comment:
        'src/engine imports nothing of the project outside src/engine (npm packages and node builtins are fine).',
      from: { path: '^src/engine/' },
      to: { path: PROJECT, pathNot: '^src/engine/' },
    },
    {
      name: 'blind-is-platform-free',
      severity: 'error',
      comment:
        "src/blind (a party's side of blind matching: cover, rules, OPRF) imports only src/engine and npm packages — no Node built-ins — so an agent, the hub and a browser share it.",
      from: { path: '^src/blind/' },
      to: { path: PROJECT, pathNot: '^src/(engine|blind)/' },
    },
    {
      name: 'blind-no-node-builtins',
      severity: 'error',
      comment: 'src/blind uses no Node built-ins (a browser runs it too).',
      from: { path: '^src/blind/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'domain-only-engine',
      severity: 'error',
      comment: 'src/domain imports nothing but the engine (its types) and itself: no packages, no builtins.',
      from: { path: '^src/domain/' },
      to: { pathNot: '^src/(domain|engine)/' },
    },
    {
      name: 'domain-engine-types-only',
      severity: 'error',
      comment: 'src/domain takes only types from src/engine (`import type`).',
      from: { path: '^src/domain/' },
      to: { path: '^src/engine/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'store-not-hub-or-server',
      severity: 'error',
      comment: 'The store is below the hub and the server: it imports neither.',
      from: { path: '^src/store/' },
      to: { path: '^src/(hub|server)/' },
    },
    {
      name: 'hub-not-server',
      severity: 'error',
      comment: 'The hub is below the server: it does not import it.',
      from: { path: '^src/hub/' },
      to: { path: '^src/server/' },
    },
    {
      name: 'formats-are-conversions',
      severity: 'error',
      comment:
        'src/formats converts between the wire shapes (src/api) and files (KML, CSV, XLSX, CoT, GPX, zip): it reads the engine, field conventions, the wire types and the error registry, never the hub, the server or the store.',
      from: { path: '^src/formats/' },
      to: { path: '^src/(hub|server|store|cli|ledger|blind)/' },
    },
    {
      name: 'console-shared-src-only',
      severity: 'error',
      comment:
        'The console (web/src) takes from src/ only src/engine, src/field, src/api (types and schemas), src/errors.ts, and the platform-free parts of the ledger it signs and verifies with (canonical JSON, the tree, notes, leaves, statements).',
      from: { path: '^web/src/' },
      to: {
        path: '^src/',
        pathNot: [
          '^src/(engine|field|api)/',
          '^src/errors\\.ts$',
          '^src/ledger/(canonical|merkle|note|leaf|statement)\\.ts$',
        ],
      },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve (so that no rule above is passed by a path it cannot follow).',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)node_modules/', '^web/dist/', '^test/fixtures/.*\\.(geo)?json$'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};

module.exports = config;

// As a script: what `depcruise FOLDER... --config .dependency-cruiser.cjs --output-type err`
// does (this configuration, the TypeScript configuration it names), through the package's API.
if (require.main === module) {
  const folders = process.argv.slice(2);
  if (folders.length === 0) {
    console.error('usage: node .dependency-cruiser.cjs FOLDER...');
    process.exit(2);
  }
  (async () => {
    const { cruise } = await import('dependency-cruiser');
    const { default: extractOptions } = await import('dependency-cruiser/config-utl/extract-depcruise-options');
    const { default: extractTSConfig } = await import('dependency-cruiser/config-utl/extract-ts-config');
    const options = await extractOptions(__filename);
    const tsConfig = extractTSConfig(config.options.tsConfig.fileName);
    const result = await cruise(folders, { ...options, outputType: 'err' }, {}, { tsConfig });
    process.stdout.write(String(result.output));
    process.exitCode = result.exitCode > 0 ? 1 : 0;
  })().catch((err) => {
    console.error(err);
    process.exitCode = 2;
  });
}

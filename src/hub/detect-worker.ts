/**
 * A detection worker (a `node:worker_threads` thread started by detect-pool.ts): parses,
 * validates and checks heavy submissions off the hub's main thread.
 *
 * It keeps a replica of the live index, built from the declarations the pool sends when it
 * starts and kept current by every change the hub applies after a commit, in the order the hub
 * applied them (messages on one port arrive in order). So a screening sent at some moment is
 * checked against the index exactly as it was at that moment, by the same engine code as on the
 * main thread (screen.ts). A screening's parsed and prepared declarations stay here until the
 * pool releases it, for the re-check under the write lock of what changed in between.
 *
 * The same entry serves as the tree worker (detect-pool.ts `TreeWorker`): never seeded, it only
 * builds the live index's next packed tree from entries moved to it and moves the tree back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { mergePackedTree } from '../engine/packed-tree.ts';
import type { Prepared } from '../engine/rules.ts';
import { ConflictIndex, prepare } from '../engine/stindex.ts';
import type { Declaration, EngineOptions } from '../engine/types.ts';
import { DeconflictError } from '../errors.ts';
import { readJson } from './body.ts';
import type { FromWorker, ToWorker } from './detect-pool.ts';
import { packDeclarations, transfers, unpackDeclarations, unpackInput } from './pack.ts';
import { parseRequest, rescreen, screen } from './screen.ts';
import { verticesOf } from './work-budget.ts';

if (parentPort === null)
  throw new Error('detect-worker.ts runs as a worker thread (detect-pool.ts starts it)');
const port = parentPort;

const options = (workerData as { engine: Partial<EngineOptions> }).engine;
let index = new ConflictIndex(options);
/** Declarations of the seed, until its last part arrives (then built at once, like the hub's load). */
let seed: Declaration[] | null = [];

interface Job {
  readonly decls: Declaration[];
  readonly prepared: Prepared[];
  readonly exclude: string | undefined;
}
const jobs = new Map<number, Job>();
/** Bodies read (`read`) and not yet screened, by job. */
const bodies = new Map<number, unknown>();

const reply = (m: FromWorker): void => port.postMessage(m);

function handle(m: ToWorker): void {
  switch (m.t) {
    case 'seed':
      for (const d of unpackDeclarations(m.decls)) (seed as Declaration[]).push(d);
      if (m.last) {
        index = ConflictIndex.build(seed as Declaration[], options);
        seed = null;
      }
      return;
    case 'add':
      index.addAll(unpackDeclarations(m.decls));
      return;
    case 'withdraw':
      index.withdraw(m.id);
      return;
    case 'release':
      jobs.delete(m.job);
      bodies.delete(m.job);
      return;
    case 'read': {
      const input = readJson(new Uint8Array(m.bytes), false);
      bodies.set(m.job, input);
      reply({ t: 'read', job: m.job, vertices: verticesOf(input) });
      return;
    }
    case 'screen': {
      const input = m.input === undefined ? bodies.get(m.job) : unpackInput(m.input);
      bodies.delete(m.job);
      if (input === undefined) throw new Error(`no body ${m.job} held`);
      const decls = parseRequest({ ...m.request, input });
      const prepared = decls.map(prepare);
      const s = screen(index, decls, prepared, m.exclude);
      jobs.set(m.job, { decls, prepared, exclude: m.exclude });
      const packed = packDeclarations(decls);
      port.postMessage(
        { t: 'screened', job: m.job, decls: packed, indexed: s.indexed, batch: s.batch } satisfies FromWorker,
        transfers(packed.packed),
      );
      return;
    }
    case 'build': {
      // Shared memory: posted, not copied or moved.
      reply({ t: 'built', job: m.job, tree: mergePackedTree(m.input) });
      return;
    }
    case 'rescreen': {
      const job = jobs.get(m.job);
      if (job === undefined) throw new Error(`no screening ${m.job} held`);
      const fresh = rescreen(index, job.decls, job.prepared, m.changed, job.exclude);
      reply({ t: 'rescreened', job: m.job, fresh });
      return;
    }
  }
}

port.on('message', (m: ToWorker) => {
  try {
    handle(m);
  } catch (err) {
    if (!('job' in m) || m.t === 'release') {
      // A change of the replica that fails leaves it unlike the hub's index: stop, so that the
      // pool starts a fresh worker from the hub's index rather than screen against a wrong one.
      throw err;
    }
    if (err instanceof DeconflictError) {
      reply({ t: 'refused', job: m.job, details: err.details });
    } else {
      reply({
        t: 'failed',
        job: m.job,
        message: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
  }
});

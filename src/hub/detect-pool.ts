/**
 * The live index, and the detection workers that keep heavy submissions off the main thread.
 *
 * Why: parsing and validating a ring costs time quadratic in its vertices, and one dry run of
 * twelve polygons of 9,999 vertices once held the hub's only thread for 15–25 s: `/healthz`,
 * other parties' reads, push, escalations and webhooks all waited. Now a submission of more
 * than `offloadAbove` vertices (1,000 by default) is parsed, validated and checked in a worker
 * thread; the main thread only counts its vertices, posts it, and records the answer.
 *
 * How it stays exact. Each worker holds a replica of the live index (detect-worker.ts): seeded
 * from the hub's index when it starts, then sent every change the hub applies, in order. A
 * screening posted at some moment is checked against the index as it was at that moment (its
 * epoch), outside the write lock, by the same code as the inline path (screen.ts). Under the
 * write lock, before anything is recorded, {@link Screened.conflicts} brings it up to date: the
 * conflicts with declarations that changed since its epoch are dropped, and those declarations,
 * as they are now, are checked again (in the worker that holds the parsed batch). Nothing can
 * change while the lock is held, so a heavy submission is checked against exactly the
 * declarations committed before it, like any other (ARCHITECTURE.md, invariant 2), and the lock
 * is held only for that re-check, not for the whole screening: hotline messages,
 * acknowledgements and escalations, which are writes too, do not wait behind a heavy check.
 *
 * Why a pool of our own rather than a library (piscina and the like): the workers are not
 * interchangeable function runners. Each holds state (the replica) that must receive every
 * change in order, and a re-check must go to the worker holding its batch; both are a few lines
 * here and would fight a task pool's scheduling. The pool is small and fixed: one worker per
 * core but one (the main thread keeps its own), at least one, at most four; started on the
 * first heavy submission, so a hub that never gets one never starts a thread. A worker that
 * dies fails only the screenings it held (answered 500, nothing changed) and is replaced on the
 * next heavy submission, seeded afresh from the hub's index.
 *
 * Workers run the TypeScript sources like the main thread does, through tsx: a worker does not
 * inherit the loader, whether the hub was started with `node --import tsx` (tests) or by
 * `bin/deconflict.js` (which registers tsx itself), so its first lines register tsx when the
 * runtime cannot load `.ts` on its own.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DEFAULT_OFFLOAD_ABOVE_VERTICES } from '../domain/limits.ts';
import type { MergeInput } from '../engine/packed-tree.ts';
import { ConflictIndex, type IndexState, prepare, type TreeBuilder } from '../engine/stindex.ts';
import type { Conflict, Declaration, EngineOptions } from '../engine/types.ts';
import { DeconflictError, type ErrorDetail } from '../errors.ts';
import { readJson } from './body.ts';
import {
  copyPacked,
  type PackedDeclarations,
  type PackedInput,
  packDeclarations,
  packInput,
  transfers,
  unpackDeclarations,
} from './pack.ts';
import { flatten, type ParseRequest, parseRequest, patch, type Screening, screen } from './screen.ts';
import { verticesOf } from './work-budget.ts';

/**
 * Messages to a worker, in the order they must be applied. Coordinates travel packed (pack.ts):
 * a structured clone of 120,000 small arrays would cost the main thread hundreds of ms.
 */
export type ToWorker =
  | { readonly t: 'seed'; readonly decls: PackedDeclarations; readonly last: boolean }
  | { readonly t: 'add'; readonly decls: PackedDeclarations }
  | { readonly t: 'withdraw'; readonly id: string }
  /** Read a body that came as bytes (body.ts `RawBody`), count its vertices, and hold it for `screen`. */
  | { readonly t: 'read'; readonly job: number; readonly bytes: ArrayBuffer }
  | {
      readonly t: 'screen';
      readonly job: number;
      readonly request: Omit<ParseRequest, 'input'>;
      /** The input, packed; absent when the worker holds it from `read`. */
      readonly input?: PackedInput;
      readonly exclude?: string;
    }
  | { readonly t: 'rescreen'; readonly job: number; readonly changed: readonly string[] }
  | { readonly t: 'release'; readonly job: number }
  /** Build the live index's next tree (the old one shared, the rest moved), answered as `built`. */
  | { readonly t: 'build'; readonly job: number; readonly input: MergeInput };

/** Answers from a worker, each about one job. */
export type FromWorker =
  | {
      readonly t: 'screened';
      readonly job: number;
      readonly decls: PackedDeclarations;
      readonly indexed: Conflict[][];
      readonly batch: Conflict[][];
    }
  | { readonly t: 'rescreened'; readonly job: number; readonly fresh: Conflict[][] }
  | { readonly t: 'built'; readonly job: number; readonly tree: ArrayBufferLike }
  | { readonly t: 'read'; readonly job: number; readonly vertices: number }
  | { readonly t: 'refused'; readonly job: number; readonly details: readonly ErrorDetail[] }
  | { readonly t: 'failed'; readonly job: number; readonly message: string };

export interface DetectionOptions {
  /** Submissions of more vertices than this are screened in a worker (default 1,000). */
  readonly offloadAbove?: number;
  /** Worker threads (default: one per core but one, 1–4). */
  readonly workers?: number;
  /**
   * Rebuild the live index's tree in a worker thread of its own, off the write path (default
   * true); false rebuilds it on the main thread, in the write that passes the threshold.
   */
  readonly rebuildInWorker?: boolean;
}

/** The default number of workers: the main thread keeps a core of its own. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/** `deconflict serve --detect-workers N`: detection worker threads, 1–64. */
export function parseDetectWorkers(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!(Number.isSafeInteger(n) && n >= 1 && n <= 64))
    throw new Error(`--detect-workers: a whole number from 1 to 64, got "${v}"`);
  return n;
}

/** A parsed submission and its conflicts, as far as they are known outside the write lock. */
export interface Screened {
  readonly decls: readonly Declaration[];
  /**
   * Call under the write lock: every conflict with the live index as it is now and within the
   * batch, in the order the hub records them (per declaration: index, then batch).
   */
  conflicts(): Promise<Conflict[]>;
  /** Drop what the worker holds for it (always, once done). */
  release(): void;
}

/** Declarations per seed message: the seed crosses in parts, so that no one message blocks long. */
const SEED_PART = 2000;

/**
 * The live index of active declarations (the hub's, on the main thread) with its epoch (one per
 * change) and the pool of detection workers holding replicas of it. Every change to the index
 * goes through here, so the replicas never miss one.
 */
export class LiveIndex {
  private index: ConflictIndex;
  private epoch = 0;
  /** Additions not yet sent to the workers (sent at the end of the turn: {@link flushAdds}). */
  private unsent: Declaration[] = [];
  /** The epoch at which each declaration last changed, kept while screenings older than it are open. */
  private readonly touched = new Map<string, number>();
  /** Epoch of the last wholesale reload (a screening from before it cannot be brought up to date). */
  private reloadedAt = 0;
  /** Epochs of the screenings not yet released (how far back `touched` must reach). */
  private readonly open = new Map<number, number>();
  private readonly offloadAbove: number;
  private readonly size_: number;
  private workers: Handle[] = [];
  private nextJob = 1;
  private closed = false;
  /** Builds the index's trees in a thread of its own (started on the first rebuild), or null. */
  private readonly trees: TreeWorker | null;

  constructor(
    private readonly engine: Partial<EngineOptions> = {},
    options: DetectionOptions = {},
  ) {
    this.trees = options.rebuildInWorker === false ? null : new TreeWorker(engine);
    this.index = this.fresh(new ConflictIndex(engine));
    this.offloadAbove = options.offloadAbove ?? DEFAULT_OFFLOAD_ABOVE_VERTICES;
    this.size_ = options.workers ?? defaultWorkers();
    if (!(Number.isSafeInteger(this.size_) && this.size_ >= 1 && this.size_ <= 64))
      throw new Error('detection workers must be a whole number from 1 to 64');
  }

  get options(): EngineOptions {
    return this.index.options;
  }

  /** Number of active declarations. */
  get size(): number {
    return this.index.size;
  }

  declarations(): IterableIterator<Declaration> {
    return this.index.declarations();
  }

  /**
   * Replace the whole set (the hub's load at start): workers are started afresh when next needed
   * (seeded from this index, however it was made). With `state` (a snapshot's, `decls` in its
   * order) the index is restored from it rather than built; a state that does not fit is
   * dropped and the index built from `decls`. Answers why the state was not used (null: it was,
   * or none was given).
   */
  load(decls: readonly Declaration[], state?: IndexState | null): string | null {
    let refused: string | null = null;
    let index: ConflictIndex | null = null;
    if (state) {
      try {
        index = ConflictIndex.restore(decls, state, this.engine);
      } catch (err) {
        refused = `its index state was not used: ${(err as Error).message}`;
      }
    }
    this.index = this.fresh(index ?? ConflictIndex.build(decls, this.engine));
    this.epoch++;
    this.reloadedAt = this.epoch;
    this.stopWorkers();
    return refused;
  }

  /** The index's built state, its slots in the order of {@link declarations} (stindex.ts). */
  state(): IndexState {
    return this.index.state();
  }

  add(d: Declaration): void {
    this.addAll([d]);
  }

  /** True while the index's next tree is being built in the tree worker. */
  get rebuilding(): boolean {
    return this.index.rebuilding;
  }

  private fresh(index: ConflictIndex): ConflictIndex {
    if (this.trees !== null) index.buildWith(this.trees.build);
    return index;
  }

  /**
   * Add a batch (a submission's, an import's): to the workers in parts of {@link SEED_PART}, one
   * message per part rather than per declaration (100,000 messages of one declaration each held
   * hundreds of MiB in their queues and took seconds to post).
   */
  addAll(ds: readonly Declaration[]): void {
    // One rebuild at most for the whole batch, from the tree's own entries (none recomputed).
    this.index.addAll(ds);
    for (const d of ds) this.changed(d.id);
    if (this.workers.length === 0) return;
    // Held for the end of this turn of the event loop: the writes of a group commit each add
    // theirs, and the replicas get them in one message instead of one per write (posting cost a
    // twentieth of the server's time under load). Whatever else goes to a worker first sends
    // them ({@link flushAdds}), so a replica never sees changes out of order.
    if (this.unsent.length === 0) setImmediate(() => this.flushAdds());
    this.unsent.push(...ds);
  }

  /** Send the additions held back so far to every worker, in parts of {@link SEED_PART}. */
  private flushAdds(): void {
    if (this.unsent.length === 0) return;
    const ds = this.unsent;
    this.unsent = [];
    for (let at = 0; at < ds.length; at += SEED_PART) {
      const decls = packDeclarations(ds.slice(at, at + SEED_PART));
      for (const w of this.workers) {
        const packed = copyPacked(decls.packed);
        w.post({ t: 'add', decls: { decls: decls.decls, packed } }, transfers(packed));
      }
    }
  }

  withdraw(id: string): void {
    if (!this.index.withdraw(id)) return;
    this.changed(id);
    this.broadcast({ t: 'withdraw', id });
  }

  private changed(id: string): void {
    this.epoch++;
    if (this.open.size > 0) this.touched.set(id, this.epoch);
  }

  /**
   * Parse a submission and find its conflicts as far as can be done outside the write lock:
   * inline when it is light (the conflicts are then found under the lock, as they always were),
   * in a worker when it carries more than `offloadAbove` vertices. Throws the parser's coded
   * errors either way (an inline one at once).
   *
   * Inline, the answer is not a promise, on purpose: the caller then queues its write in the same
   * turn of the event loop, so light writes take the lock in the order they arrived, as they
   * always did (an amendment sent before an expiry sweep is applied before it).
   */
  screen(request: ParseRequest, vertices: number, exclude?: string): Screened | Promise<Screened> {
    if (vertices <= this.offloadAbove || this.inlineOnly) {
      const decls = parseRequest(request);
      return {
        decls,
        conflicts: async () => flatten(screen(this.index, decls, decls.map(prepare), exclude)),
        release: () => undefined,
      };
    }
    const { input, ...rest } = request;
    const packed = packInput(input);
    return this.offload((w, job) =>
      w.ask(
        { t: 'screen', job, request: rest, input: packed, ...(exclude !== undefined && { exclude }) },
        transfers(packed.packed),
      ),
    );
  }

  /**
   * A submission whose body is still bytes (body.ts `RawBody`, a large one): read, counted and
   * screened in a worker, so that the main thread never decodes or parses it. `admit` is given
   * the vertices the body holds before the screening starts, and refuses it by throwing (the work
   * budget); the body is then dropped and nothing was screened.
   */
  async screenBytes(
    bytes: Uint8Array,
    request: Omit<ParseRequest, 'input'>,
    admit: (vertices: number) => void,
    exclude?: string,
  ): Promise<Screened> {
    // A hub that screens everything inline (offloadAbove: Infinity) reads inline too.
    if (this.inlineOnly || this.offloadAbove === Number.POSITIVE_INFINITY) {
      const input = readJson(bytes, false);
      const vertices = verticesOf(input);
      admit(vertices);
      return this.screen({ ...request, input }, vertices, exclude);
    }
    // A copy of its own, moved to the worker: the server's buffer is not ours to give away.
    const own = new Uint8Array(bytes);
    return this.offload(async (w, job) => {
      const read = await w.ask({ t: 'read', job, bytes: own.buffer }, [own.buffer]);
      if (read.t !== 'read') throw new Error(`detection worker answered ${read.t} to a read`);
      admit(read.vertices);
      return w.ask({ t: 'screen', job, request, ...(exclude !== undefined && { exclude }) });
    });
  }

  /** An engine hook (a function) cannot cross to a worker: such a hub, or a closing one, screens inline. */
  private get inlineOnly(): boolean {
    return this.engine.incursionAllowed !== undefined || this.closed;
  }

  /**
   * Screen in a worker: `ask` sends the job's messages and returns the worker's `screened`
   * answer. The screening's epoch is the index's when the job starts, before `ask` sends
   * anything: the replica it is checked against holds at least every change up to it, and every
   * change after it is checked again under the lock (one that the replica already held, because
   * it came before a `read` was answered, is checked twice, to the same result).
   */
  private async offload(ask: (w: Handle, job: number) => Promise<FromWorker>): Promise<Screened> {
    const job = this.nextJob++;
    const since = this.epoch;
    this.open.set(job, since);
    const w = this.pick();
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      this.open.delete(job);
      if (this.open.size === 0) this.touched.clear();
      if (this.workers.includes(w)) w.post({ t: 'release', job });
    };
    try {
      // The replica holds every change up to the job's epoch when its first message arrives.
      this.flushAdds();
      const first = await ask(w, job);
      if (first.t !== 'screened') throw new Error(`detection worker answered ${first.t} to a screening`);
      const decls = unpackDeclarations(first.decls);
      const { batch } = first;
      let indexed = first.indexed;
      return {
        decls,
        release,
        conflicts: async () => {
          // The hub reloads its index only when it opens; a screening cannot span that.
          if (since < this.reloadedAt) throw new Error('the live index was reloaded during a screening');
          const changed = [...this.touched].filter(([, at]) => at > since).map(([id]) => id);
          if (changed.length > 0) {
            if (!this.workers.includes(w))
              throw new Error('the detection worker holding this screening stopped');
            this.flushAdds();
            const again = await w.ask({ t: 'rescreen', job, changed });
            if (again.t !== 'rescreened')
              throw new Error(`detection worker answered ${again.t} to a re-check`);
            indexed = patch(decls, indexed, new Set(changed), again.fresh);
          }
          return flatten({ indexed, batch } satisfies Screening);
        },
      };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** The worker with the fewest jobs in hand, starting the pool on first use. */
  private pick(): Handle {
    // A new worker is seeded from the index, which holds the additions not sent yet: send them
    // to the running workers first, so that none of them gets an addition twice or never.
    if (this.workers.length < this.size_) this.flushAdds();
    while (this.workers.length < this.size_) this.workers.push(this.start());
    let best = this.workers[0] as Handle;
    for (const w of this.workers) if (w.load < best.load) best = w;
    return best;
  }

  private start(): Handle {
    const h: Handle = new Handle(this.engine, (dead) => {
      this.workers = this.workers.filter((x) => x !== dead);
    });
    h.seed([...this.index.declarations()]);
    return h;
  }

  private broadcast(m: ToWorker): void {
    this.flushAdds();
    for (const w of this.workers) w.post(m);
  }

  private stopWorkers(): void {
    const stopping = this.workers;
    this.workers = [];
    this.unsent = [];
    for (const w of stopping) void w.stop();
  }

  /** Stop the workers (the hub closing); later heavy submissions are screened inline. */
  async close(): Promise<void> {
    this.closed = true;
    const stopping = this.workers;
    this.workers = [];
    this.index.buildWith(null);
    await Promise.all([...stopping.map((w) => w.stop()), this.trees?.stop()]);
  }
}

/**
 * The thread that builds the live index's trees (stindex.ts {@link TreeBuilder}): a detection
 * worker that holds no replica (never seeded), started on the first rebuild and restarted after
 * one that died. Rebuilding 1M entries takes the better part of a second; here it no longer holds
 * the write path: the main thread sends only the entries added since the last tree, one byte per
 * slot saying which are active, and the old tree (shared memory, not copied), then swaps.
 */
export class TreeWorker {
  private handle: Handle | null = null;
  private nextJob = 1;
  private stopped = false;

  constructor(private readonly engine: Partial<EngineOptions> = {}) {}

  readonly build: TreeBuilder = async (input) => {
    if (this.stopped) throw new Error('the tree worker stopped');
    if (this.handle === null) {
      this.handle = new Handle(
        this.engine,
        (dead) => {
          if (this.handle === dead) this.handle = null;
        },
        false,
      );
    }
    const { added, alive } = input;
    const moved = [added.items.buffer, added.kinds.buffer, added.ids.buffer, alive.buffer] as ArrayBuffer[];
    const answer = await this.handle.ask({ t: 'build', job: this.nextJob++, input }, moved);
    if (answer.t !== 'built') throw new Error(`tree worker answered ${answer.t} to a build`);
    return answer.tree;
  };

  async stop(): Promise<void> {
    this.stopped = true;
    const h = this.handle;
    this.handle = null;
    await h?.stop();
  }
}

/** The module a worker runs, and tsx's registration for when the runtime cannot load `.ts`. */
const ENTRY = new URL('./detect-worker.ts', import.meta.url).href;
const TSX = import.meta.resolve('tsx/esm/api');
// The retry imports the entry under another URL: the loader remembers the failed one.
const BOOT = `
const entry = ${JSON.stringify(ENTRY)};
import(entry).catch(async (err) => {
  if (err?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
  (await import(${JSON.stringify(TSX)})).register();
  await import(entry + '?tsx');
});`;

/** One worker: its queue while it is being seeded, and the jobs it has in hand. */
class Handle {
  private readonly worker: Worker;
  private readonly waiting = new Map<
    number,
    { resolve: (m: FromWorker) => void; reject: (e: Error) => void }
  >();
  /** Messages held back while the seed crosses, so that they arrive after it (null: none to wait for). */
  private queue: [ToWorker, ArrayBuffer[]][] | null;
  private stopped = false;

  /** @param seeded a replica to be seeded (`seed`); a tree worker holds none. */
  constructor(
    engine: Partial<EngineOptions>,
    private readonly onDead: (h: Handle) => void,
    seeded = true,
  ) {
    this.queue = seeded ? [] : null;
    this.worker = new Worker(BOOT, { eval: true, workerData: { engine } });
    // An idle worker does not keep the process alive; one with a job in hand does (see ask).
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => this.answer(m));
    this.worker.on('error', (err) => this.die(err));
    this.worker.on('exit', (code) => this.die(new Error(`detection worker exited with code ${code}`)));
  }

  /** Jobs in hand. */
  get load(): number {
    return this.waiting.size;
  }

  /** Send the declarations of the index in parts, one part per turn of the event loop. */
  seed(decls: readonly Declaration[]): void {
    let at = 0;
    const next = (): void => {
      if (this.stopped) return;
      const part = packDeclarations(decls.slice(at, at + SEED_PART));
      at += SEED_PART;
      const last = at >= decls.length;
      this.send({ t: 'seed', decls: part, last }, transfers(part.packed));
      if (!last) {
        setImmediate(next);
        return;
      }
      const held = this.queue ?? [];
      this.queue = null;
      for (const [m, moved] of held) this.send(m, moved);
    };
    next();
  }

  /** Send now, or after the seed when it is still crossing. */
  post(m: ToWorker, moved: ArrayBuffer[] = []): void {
    if (this.stopped) return;
    if (this.queue !== null) this.queue.push([m, moved]);
    else this.send(m, moved);
  }

  /**
   * A message that cannot be sent fails its job; a change of the replica that cannot be sent
   * stops the worker (its replica would no longer be the hub's index): never an uncaught throw.
   */
  private send(m: ToWorker, moved: ArrayBuffer[]): void {
    if (this.stopped) return;
    try {
      this.worker.postMessage(m, moved);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const w = 'job' in m ? this.waiting.get(m.job) : undefined;
      if (w !== undefined && m.t !== 'release') {
        this.waiting.delete((m as { job: number }).job);
        w.reject(e);
      } else if (m.t !== 'release') {
        this.die(e);
        void this.worker.terminate();
      }
    }
  }

  ask(m: ToWorker & { readonly job: number }, moved: ArrayBuffer[] = []): Promise<FromWorker> {
    if (this.stopped) return Promise.reject(new Error('the detection worker stopped'));
    return new Promise((resolve, reject) => {
      this.waiting.set(m.job, { resolve, reject });
      this.worker.ref();
      this.post(m, moved);
    });
  }

  private answer(m: FromWorker): void {
    const w = this.waiting.get(m.job);
    if (w === undefined) return;
    this.waiting.delete(m.job);
    if (this.waiting.size === 0) this.worker.unref();
    if (m.t === 'refused') w.reject(new DeconflictError(m.details));
    else if (m.t === 'failed') w.reject(new Error(`detection worker: ${m.message}`));
    else w.resolve(m);
  }

  private die(err: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onDead(this);
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  async stop(): Promise<void> {
    const running = !this.stopped;
    this.stopped = true;
    for (const w of this.waiting.values()) w.reject(new Error('the detection workers were stopped'));
    this.waiting.clear();
    if (running) await this.worker.terminate();
  }
}

/** The answer of a write that used a screening, releasing the screening once it settled. */
export function releasing<T>(s: Screened, written: Promise<T>): Promise<T> {
  return written.finally(s.release);
}

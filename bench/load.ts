/**
 * The benchmarks' load generator: keep-alive HTTP clients in a worker thread (so that they do not
 * share a hub's event loop when the hub runs in the benchmark's own process), each submitting one
 * new declaration per request for a fixed time after a warm-up, spread round-robin over one or
 * more hubs. Latency is request sent → response body parsed, as the client sees it.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { hotspotRequest } from './hotspot.ts';
import { mulberry32 } from './support.ts';
import { type ClientSpec, clientFeature } from './theatre.ts';

export interface LoadJob {
  /** The hubs' submission URLs: client i sends to urls[i % urls.length] (round-robin). */
  readonly urls: readonly string[];
  readonly clients: readonly ClientSpec[];
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly seed: number;
  readonly client: 'http' | 'fetch';
  /** The theatre's mix (default), or the hot spot's requests (bench/hotspot.ts). */
  readonly scenario?: 'hotspot';
  /** The run's time origin (the hot spot's windows are relative to it). */
  readonly t0?: number;
}
export interface LoadResult {
  /** Latencies (ms) of the requests that completed inside the measured window. */
  readonly latencies: Float64Array;
  readonly ok: number;
  readonly withConflicts: number;
  readonly conflicts: number;
  readonly errors: number;
  readonly statuses: Record<string, number>;
  readonly firstError: string | null;
  readonly windowMs: number;
  readonly warmupRequests: number;
  /** Busy share of the client worker's event loop, and its CPU time (ms), over the whole run. */
  readonly clientElu: number;
}

type Post = (
  url: string,
  headers: Record<string, string>,
  body: string,
) => Promise<{ status: number; body: string }>;

/**
 * The client: node:http with a keep-alive agent (one socket per client), or the global fetch
 * (undici, keep-alive too). http is the default: on a small machine the load generator shares
 * the cores with the server, and fetch costs it about twice the CPU per request.
 */
function poster(kind: 'http' | 'fetch'): Post {
  if (kind === 'fetch') {
    return async (url, headers, body) => {
      const res = await fetch(url, { method: 'POST', headers, body });
      return { status: res.status, body: await res.text() };
    };
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  return (url, headers, body) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        url,
        { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let ok = 0;
  let withConflicts = 0;
  let conflicts = 0;
  let errors = 0;
  let warmupRequests = 0;
  let firstError: string | null = null;
  const start = performance.now();
  const measureFrom = start + job.warmupMs;
  const stopAt = measureFrom + job.durationMs;
  const post = poster(job.client);
  const client = async (spec: ClientSpec, seed: number, url: string): Promise<void> => {
    const rng = mulberry32(seed);
    const headers = { authorization: `Bearer ${spec.token}`, 'content-type': 'application/geo+json' };
    while (performance.now() < stopAt) {
      const body = JSON.stringify(
        job.scenario === 'hotspot'
          ? hotspotRequest(rng, job.t0 ?? Date.now())
          : clientFeature(rng, spec.strikes),
      );
      const t = performance.now();
      let status = 'network error';
      let answer = null as { conflicts?: unknown[]; errors?: unknown } | null;
      try {
        const res = await post(url, headers, body);
        status = String(res.status);
        answer = JSON.parse(res.body) as typeof answer;
      } catch (err) {
        firstError ??= (err as Error).message;
      }
      const done = performance.now();
      if (done < measureFrom) {
        warmupRequests++;
        continue;
      }
      if (done > stopAt) break;
      latencies.push(done - t);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === '201' && answer !== null && Array.isArray(answer.conflicts)) {
        ok++;
        conflicts += answer.conflicts.length;
        if (answer.conflicts.length > 0) withConflicts++;
      } else {
        errors++;
        firstError ??= `${status} ${JSON.stringify(answer).slice(0, 300)}`;
      }
    }
  };
  const elu0 = performance.eventLoopUtilization();
  await Promise.all(
    job.clients.map((c, i) => client(c, job.seed + i, job.urls[i % job.urls.length] as string)),
  );
  const clientElu = performance.eventLoopUtilization(elu0).utilization;
  return {
    clientElu,
    latencies: Float64Array.from(latencies),
    ok,
    withConflicts,
    conflicts,
    errors,
    statuses,
    firstError,
    windowMs: job.durationMs,
    warmupRequests,
  };
}

/** Run the load in a worker thread (bench/load-worker.ts, loaded through tsx). */
export function loadInWorker(job: LoadJob): Promise<LoadResult> {
  const code =
    `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
    `.then((m) => { m.register(); return import(${JSON.stringify(new URL('./load-worker.ts', import.meta.url).href)}); });`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: job });
    w.once('message', (r: LoadResult) => {
      resolve(r);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

/** The load generator's worker thread (bench/load.ts): runs the job it is given and posts the result. */
import { parentPort, workerData } from 'node:worker_threads';
import { type LoadJob, runLoad } from './load.ts';

parentPort?.postMessage(await runLoad(workerData as LoadJob));

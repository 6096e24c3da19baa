// Entry of a WeightPool worker thread: registers tsx in this thread (the CLI registers it only in
// the main one) so the TypeScript worker loads the same way under `prm`, vitest and the benchmarks.
import { register } from 'tsx/esm/api';

register();
await import('./weight-worker.ts');

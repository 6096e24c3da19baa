/**
 * The model-source factory: one small file per source kind, and this switch is the only place
 * that lists them. To add a source: add its variant to `ModelSource` (protocol.ts), write
 * `<kind>.ts` returning `ModelFiles`, and add a case below.
 */
import { EngineError } from '../errors.ts';
import type { FileSource } from '../protocol.ts';
import { bundledFiles } from './bundled.ts';
import { hubFiles } from './hub.ts';
import { localFiles } from './local.ts';
import type { ModelFiles } from './types.ts';

export type { ModelFiles, SourceFile, ReadOptions } from './types.ts';

/**
 * The files of a model, wherever it comes from.
 *
 * @example
 * const files = await openSource({ kind: 'hub', repo: 'my-org/prm-onnx' }, '/models/');
 */
export async function openSource(source: FileSource, bundledBase: string): Promise<ModelFiles> {
  switch (source?.kind) {
    case 'bundled':
      return bundledFiles(bundledBase, source.id);
    case 'hub':
      return hubFiles(source);
    case 'local':
      return localFiles(source.files, source.paths);
    default: {
      const unknown: never = source;
      throw new EngineError(
        'bad-request',
        `Unknown model source ${JSON.stringify((unknown as { kind?: unknown } | undefined)?.kind)}; expected bundled, hub or local.`,
      );
    }
  }
}

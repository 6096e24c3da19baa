/**
 * Reads a model folder's tokenizer files (`tokenizer.json`, `tokenizer_config.json`) from disk and
 * hands their text to the shared tokenizer adapter (src/engine/tokenizer.ts, the same one the
 * browser worker uses), with errors that name the missing file. It does not tokenise.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TokenizerLike } from '../core/types.ts';
import { TokenizerFileError, tokenizerFromFiles } from '../engine/tokenizer.ts';

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TokenizerFileError(
        file,
        `${file} is missing; a model folder needs tokenizer.json and tokenizer_config.json next to prm.json.`,
      );
    }
    throw new TokenizerFileError(file, `Cannot read ${file}: ${(e as Error).message}`);
  }
}

/**
 * The tokenizer of a model folder. Parse and build errors come from the adapter and name the file.
 *
 * @example
 * const tok = loadTokenizerDir('models/demo');
 * tok.tokenId('<extra_0>'); // e.g. 5
 */
export function loadTokenizerDir(dir: string): TokenizerLike {
  const json = readText(path.join(dir, 'tokenizer.json'));
  const config = readText(path.join(dir, 'tokenizer_config.json'));
  return tokenizerFromFiles(json, config, dir.endsWith(path.sep) ? dir : dir + path.sep);
}

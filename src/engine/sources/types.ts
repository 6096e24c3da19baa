/**
 * What every model source (bundled, Hub, local folder) offers the loader: a listing of the
 * model's files with sizes, and reading one file as a Blob with byte progress. Paths are relative
 * to the model folder, with `/` separators (`prm.json`, `onnx/model_q4.onnx`).
 *
 * Types only. Sources do not parse files or choose variants; the loader does.
 */

export interface SourceFile {
  path: string;
  /** null when the source cannot tell before reading. */
  size: number | null;
}

export interface ReadOptions {
  /** Bytes of this file read so far, and its size when known. */
  onProgress?: (loaded: number, total: number | null) => void;
  signal?: AbortSignal;
}

export interface ModelFiles {
  /** Shown in messages and plans, ending in `/` so `label + path` reads as a file name. */
  readonly label: string;
  /** Every file of the model folder. */
  list(): Promise<SourceFile[]>;
  /** Reads one file; throws `EngineError` ('bad-model' when missing, 'network', 'quota'). */
  read(path: string, options?: ReadOptions): Promise<Blob>;
  /** Bytes of `paths` already stored locally (0 for sources that do not download). */
  cachedBytes(paths: string[]): Promise<number>;
  /** Checks there is room to store `paths` before reading them; throws `EngineError('quota')`. */
  reserve(paths: string[]): Promise<void>;
}

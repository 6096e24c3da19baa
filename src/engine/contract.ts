/**
 * The PRM graph contract (see `ModelSpec` in src/core/types.ts), checked on what the engine reads
 * from the file before onnxruntime sees it and again on the session onnxruntime built: inputs
 * exactly `input_ids` and `attention_mask` (int64 [batch, seq]), an output `logits` (float32
 * [batch, seq, 2]). Extra outputs are tolerated because only `logits` is fetched.
 *
 * It checks names, element types and static dimensions only; the warm-up run checks the real
 * output size.
 */
import { EngineError } from './errors.ts';
import type { OnnxInfo, OnnxValueInfo } from './onnx-info.ts';

const REQUIRED_INPUTS = ['input_ids', 'attention_mask'];
const FIX = 'Convert the checkpoint with `prm convert`, which writes graphs that keep this contract.';

function describe(values: OnnxValueInfo[]): string {
  if (values.length === 0) return 'none';
  return values
    .map((v) => `${v.name} (${v.elemType}${v.dims ? ` [${v.dims.map((d) => d ?? '?').join(', ')}]` : ''})`)
    .join(', ');
}

function fail(file: string, message: string): never {
  throw new EngineError('bad-model', `${file}: ${message} ${FIX}`, { file });
}

/**
 * Throws `EngineError('bad-model')` naming the file when the graph's declared inputs/outputs
 * break the contract.
 *
 * @example
 * checkGraphContract(readOnnxInfo(bytes, 'onnx/model.onnx'), 'onnx/model.onnx');
 * // EngineError: onnx/model.onnx: the graph has no input "attention_mask" (inputs: input_ids (int64 [batch, seq])); ...
 */
export function checkGraphContract(info: Pick<OnnxInfo, 'inputs' | 'outputs'>, file: string): void {
  for (const name of REQUIRED_INPUTS) {
    const input = info.inputs.find((i) => i.name === name);
    if (!input) {
      fail(
        file,
        `the graph has no input "${name}" (inputs: ${describe(info.inputs)}); a PRM graph takes input_ids and attention_mask (int64 [batch, seq]).`,
      );
    }
    if (input.elemType !== 'int64' && input.elemType !== 'unknown') {
      fail(file, `input "${name}" is ${input.elemType}, expected int64.`);
    }
  }
  const extra = info.inputs.filter((i) => !REQUIRED_INPUTS.includes(i.name));
  if (extra.length > 0) {
    fail(
      file,
      `the graph wants inputs the engine does not feed: ${describe(extra)}; only input_ids and attention_mask are part of the contract (no KV cache, no position_ids).`,
    );
  }
  const logits = info.outputs.find((o) => o.name === 'logits');
  if (!logits) fail(file, `the graph has no output "logits" (outputs: ${describe(info.outputs)}).`);
  if (logits.elemType !== 'float32' && logits.elemType !== 'unknown') {
    fail(
      file,
      `output "logits" is ${logits.elemType}, expected float32 (fp16 variants must cast their logits back to float32).`,
    );
  }
  if (logits.dims) {
    const last = logits.dims[logits.dims.length - 1];
    if (logits.dims.length !== 3 || (typeof last === 'number' && last !== 2)) {
      fail(
        file,
        `output "logits" has shape [${logits.dims.map((d) => d ?? '?').join(', ')}], expected [batch, seq, 2].`,
      );
    }
  }
}

/**
 * The same contract on the names onnxruntime reports for a created session.
 *
 * @example
 * checkSessionNames(['input_ids', 'attention_mask'], ['logits'], 'onnx/model.onnx'); // ok
 */
export function checkSessionNames(
  inputNames: readonly string[],
  outputNames: readonly string[],
  file: string,
): void {
  const asInfo = (names: readonly string[]): OnnxValueInfo[] =>
    names.map((name) => ({ name, elemType: 'unknown', dims: null }));
  checkGraphContract({ inputs: asInfo(inputNames), outputs: asInfo(outputNames) }, file);
}

/**
 * Checks the external data files a graph needs against the files at hand: each must exist and be
 * at least as long as the tensors stored in it say.
 *
 * @example
 * checkExternalData(info.external, 'onnx/model.onnx', (loc) => sizes.get(`onnx/${loc}`));
 * // EngineError: onnx/model.onnx_data is truncated: the graph reads 4096 bytes from it but it has 1000. ...
 */
export function checkExternalData(
  external: OnnxInfo['external'],
  modelFile: string,
  sizeOf: (location: string) => number | undefined,
): void {
  const dir = modelFile.includes('/') ? modelFile.slice(0, modelFile.lastIndexOf('/') + 1) : '';
  for (const e of external) {
    const file = dir + e.location;
    const size = sizeOf(e.location);
    if (size === undefined) {
      throw new EngineError(
        'bad-model',
        `${modelFile} stores ${e.tensors} weights in "${e.location}", but the model has no file ${file}. Copy or download it next to ${modelFile}.`,
        { file },
      );
    }
    if (size < e.requiredBytes) {
      throw new EngineError(
        'bad-model',
        `${file} is truncated: the graph reads ${e.requiredBytes} bytes from it but it has ${size}. Download or copy it again.`,
        { file },
      );
    }
  }
}

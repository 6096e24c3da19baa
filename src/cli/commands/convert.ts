/**
 * `prm convert`: turns a Hugging Face PRM checkpoint folder into a model folder the playground,
 * `prm score` and transformers.js load (ONNX for WebGPU/WASM, 4-bit by default).
 *
 * A thin shell over src/convert/convert.ts: flag parsing, progress lines on stderr, Ctrl-C turned
 * into a clean abort (the temporary folder is removed). `hf:owner/name[@rev]` reads the checkpoint
 * from the Hub by range requests (src/convert/hub-files.ts); nothing is downloaded whole.
 */
import { UsageError, type CliIO, type Command } from '../command.ts';
import {
  convertCheckpoint,
  DEFAULT_BAD_TOKEN,
  DEFAULT_GOOD_TOKEN,
  MAX_CONTEXT_LENGTH,
  MAX_THREADS,
} from '../../convert/convert.ts';
import { DTYPES, MODEL_FAMILIES } from '../../core/spec.ts';
import type { Dtype, ModelFamily } from '../../core/types.ts';
import { parseFlags, parsePositiveInt, parseWholeNumber } from '../options.ts';
import { hubEndpoint, HubRefError, parseHubRef } from '../../core/hub-ref.ts';
import { hubCheckpointFiles } from '../../convert/hub-files.ts';
import type { CheckpointFiles } from '../../convert/byte-source.ts';

const usage = `Usage:
  prm convert <checkpoint-dir> --out <model-dir> [options]
  prm convert hf:<owner>/<name>[@<revision>] --out <model-dir> [--endpoint URL] [options]

Converts a Hugging Face process reward model checkpoint (config.json, safetensors weights in BF16,
F16 or F32, tokenizer.json, tokenizer_config.json) into a model folder: config.json, tokenizer
files, prm.json and onnx/model*.onnx with one output, logits [batch, sequence, 2].

hf:owner/name[@revision] converts straight from the Hugging Face Hub: small files are fetched
whole, the weights read by HTTP range requests (nothing is downloaded to disk but the result).
The output is the same as converting a local copy of that revision. Public repos only.

Supported: Qwen2 / Llama / Mistral decoders with the heads Qwen2ForProcessRewardModel,
*ForTokenClassification, Qwen2ForPrmModel (value head) and *ForCausalLM reduced to a token pair.

Options:
  --out DIR             Model folder to create (must not exist unless --force).
  --dtype LIST          Comma-separated ONNX variants: ${DTYPES.join(', ')} (default q4,q4f16).
                        fp32 -> model.onnx, fp16 -> model_fp16.onnx, q4 -> model_q4.onnx (4-bit
                        weights, float32 activations: runs on every WebGPU adapter and on WASM),
                        q4f16 -> model_q4f16.onnx (needs the WebGPU shader-f16 feature).
  --name TEXT           Model name in prm.json (default: the checkpoint folder's name).
  --family NAME         prm.json family where the head does not say it: user-turns for RLHFlow
                        PRMs (a *ForCausalLM whose chat turns are the steps, read at each
                        assistant "+"). Default: the head's family (a *ForCausalLM: token-pair).
  --block-size N        4-bit quantization block size: 16, 32, 64 or 128 (default 32).
  --quantize-embedding  Store the embedding 4-bit too (GatherBlockQuantized). Needed for 7B
                        models on GPUs whose buffers are limited to 1 GiB. Such q4 files run
                        on WebGPU and onnxruntime-node, not on the browser's WASM fallback.
  --good-token TEXT     Token-pair models (causal LM heads): the "step is correct" token, exactly
  --bad-token TEXT      as in tokenizer.json (SentencePiece writes a leading space as "▁").
                        Default ${DEFAULT_GOOD_TOKEN} / ${DEFAULT_BAD_TOKEN}, preferring "▁${DEFAULT_GOOD_TOKEN}" / "▁${DEFAULT_BAD_TOKEN}" when the vocabulary has them
                        (Math-Shepherd: ids 648 / 387).
  --good-id N           The same as ids (win over the token flags).
  --bad-id N
  --step-token TEXT     prm.json step_token (default: the family's, e.g. <extra_0>, ки, \\n).
  --step-separator TEXT prm.json step_separator (default: the family's).
  --context-length N    Longest input the model accepts (default: max_position_embeddings,
                        at most 32768; at most ${MAX_CONTEXT_LENGTH} when given).
  --strip-step-labels   prm.json strip_step_labels: drop "Step 2:" / "2." labels from steps
                        before scoring (for models trained on unlabelled steps).
  --reverse-numbers     prm.json reverse_numbers: write whole numbers least-significant digit
                        first before scoring (for models trained on such text, like the demo).
  --external-data       Store every weight in onnx/model_<dtype>.onnx_data files, even when the
                        model would fit one .onnx (what the page's Convert writes: a browser then
                        streams the weights from Blobs instead of reading the whole model).
  --threads N           Worker threads that decode, quantize and write weights while the next
                        tensor is read (default: the number of cores, at most 4; 0 = none).
  --force               Replace an existing --out folder, only when it is empty or a model
                        folder prm convert wrote (never one that holds the checkpoint).
  --endpoint URL        hf: only: the Hub to read from (default: $HF_ENDPOINT, else
                        https://huggingface.co).
  -h, --help            This help.

Examples:
  prm convert ~/hf/Qwen2.5-Math-PRM-7B --out models/qwen2.5-math-prm-7b --quantize-embedding
  prm convert ~/hf/math-shepherd-mistral-7b-prm --out models/math-shepherd --good-id 648 --bad-id 387
  prm convert hf:HuggingFaceH4/Qwen2.5-Math-1.5B-Instruct-PRM-0.2 --out models/h4-prm-1.5b
  prm convert hf:peiyi9979/math-shepherd-mistral-7b-prm@refs/pr/5 --out models/math-shepherd
  prm convert hf:RLHFlow/Llama3.1-8B-PRM-Deepseek-Data --out models/rlhflow-8b \\
      --family user-turns --quantize-embedding
`;

const flags = {
  out: { type: 'string' },
  dtype: { type: 'string' },
  name: { type: 'string' },
  family: { type: 'string' },
  'block-size': { type: 'string' },
  'quantize-embedding': { type: 'boolean' },
  'good-token': { type: 'string' },
  'bad-token': { type: 'string' },
  'good-id': { type: 'string' },
  'bad-id': { type: 'string' },
  'step-token': { type: 'string' },
  'step-separator': { type: 'string' },
  'context-length': { type: 'string' },
  'strip-step-labels': { type: 'boolean' },
  'reverse-numbers': { type: 'boolean' },
  threads: { type: 'string' },
  'external-data': { type: 'boolean' },
  force: { type: 'boolean' },
  endpoint: { type: 'string' },
} as const;

function parseDtypes(value: string | undefined): Dtype[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map((s) => s.trim());
  for (const d of list) {
    if (!DTYPES.includes(d as Dtype)) {
      throw new UsageError(
        `--dtype takes a comma-separated list of ${DTYPES.join(', ')}; got ${JSON.stringify(d)}.`,
      );
    }
  }
  return list as Dtype[];
}

function parseFamily(value: string | undefined): ModelFamily | undefined {
  if (value === undefined || MODEL_FAMILIES.includes(value as ModelFamily)) return value as ModelFamily;
  throw new UsageError(`--family takes one of ${MODEL_FAMILIES.join(', ')}; got ${JSON.stringify(value)}.`);
}

const MB = 1024 * 1024;

async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(argv, flags, true);
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? 'name the checkpoint folder to convert.'
        : `expected one checkpoint folder, got ${positionals.length}.`,
    );
  }
  if (!values.out) throw new UsageError('--out <model-dir> is required.');

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = Date.now();
  let lastDraw = 0;
  try {
    const checkpoint = await checkpointFrom(positionals[0], values.endpoint, controller.signal, io);
    const result = await convertCheckpoint({
      checkpointDir: checkpoint,
      outDir: values.out,
      dtypes: parseDtypes(values.dtype),
      name: values.name,
      family: parseFamily(values.family),
      blockSize: parsePositiveInt('--block-size', values['block-size'], undefined),
      quantizeEmbedding: values['quantize-embedding'] ?? false,
      goodToken: values['good-token'],
      badToken: values['bad-token'],
      goodId: parseWholeNumber('--good-id', values['good-id'], undefined, 0),
      badId: parseWholeNumber('--bad-id', values['bad-id'], undefined, 0),
      stepToken: values['step-token'],
      stepSeparator: values['step-separator'],
      contextLength: parseWholeNumber(
        '--context-length',
        values['context-length'],
        undefined,
        1,
        MAX_CONTEXT_LENGTH,
      ),
      stripStepLabels: values['strip-step-labels'] ?? false,
      reverseNumbers: values['reverse-numbers'] ?? false,
      threads: parseWholeNumber('--threads', values.threads, undefined, 0, MAX_THREADS),
      force: values.force ?? false,
      ...(values['external-data'] ? { inlineLimit: 0 } : {}),
      signal: controller.signal,
      log: (line) => io.stderr(`${line}\n`),
      onProgress: (p) => {
        const line = `tensor ${p.index}/${p.total} ${p.name}  ${(p.bytesWritten / MB).toFixed(1)} MB written`;
        if (io.isTTY) {
          const now = Date.now();
          if (now - lastDraw > 100 || p.index === p.total) {
            io.stderr(`\r\x1b[2K${line}`);
            lastDraw = now;
          }
        } else {
          io.stderr(`${line}\n`);
        }
      },
    });
    if (io.isTTY) io.stderr('\n');
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    io.stdout(
      `Wrote ${result.outDir} (${result.spec.family}, ${result.spec.architecture}) in ${seconds} s:\n`,
    );
    for (const m of result.models) {
      const ext = m.externalData.length ? ` + ${m.externalData.join(', ')}` : '';
      io.stdout(`  onnx/${m.file}${ext}  ${(m.bytes / MB).toFixed(1)} MB\n`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A local folder, or `hf:owner/name[@rev]` listed on the Hub (pinned to its commit). */
async function checkpointFrom(
  arg: string,
  endpointFlag: string | undefined,
  signal: AbortSignal,
  io: CliIO,
): Promise<string | CheckpointFiles> {
  if (!arg.startsWith('hf:')) {
    if (endpointFlag !== undefined)
      throw new UsageError('--endpoint applies only to hf:owner/name checkpoints.');
    return arg;
  }
  let ref, endpoint;
  try {
    ref = parseHubRef(arg.slice(3));
    endpoint = hubEndpoint(endpointFlag, process.env);
  } catch (e) {
    if (e instanceof HubRefError) throw new UsageError(e.message);
    throw e;
  }
  const files = await hubCheckpointFiles({
    ...ref,
    endpoint,
    signal,
    http: {
      onRetry: ({ name, attempt, error }) => io.stderr(`retrying ${name} (try ${attempt + 1}): ${error}\n`),
    },
  });
  io.stderr(`${files.label}: commit ${files.commit} on ${endpoint}, ${files.sizes.size} files\n`);
  return files;
}

export const convertCommand: Command = {
  name: 'convert',
  summary: 'Convert a Hugging Face PRM checkpoint to a WebGPU-ready ONNX model folder',
  usage,
  run,
};

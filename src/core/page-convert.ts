/**
 * What the page's Convert writes, and the `prm convert` command that writes the same folder on a
 * computer with Node. The page converts to `PAGE_CONVERT_DTYPES` with every weight as external
 * data (src/engine/convert-worker.ts passes `inlineLimit: 0`, which is `--external-data`); the
 * CLI's defaults differ (q4 and q4f16, small models inline), so the command names both flags.
 *
 * Pure: builds strings.
 */
import type { Dtype } from './types.ts';

/** The ONNX variants the page's Convert writes. */
export const PAGE_CONVERT_DTYPES: readonly Dtype[] = ['q4'];

/** The `prm convert` flags that make the CLI write what the page writes, before a model's own. */
export const PAGE_CONVERT_FLAGS: readonly string[] = [
  '--dtype',
  PAGE_CONVERT_DTYPES.join(','),
  '--external-data',
];

/**
 * One POSIX shell word: as it is when it needs no quoting, `$'...'` when it holds control
 * characters or quotes, else `'...'`.
 *
 * @example
 * shellWord('--quantize-embedding') // '--quantize-embedding'
 * shellWord('\n\n') // "$'\\n\\n'"
 */
export function shellWord(s: string): string {
  if (/^[\w./:@=+-]+$/.test(s)) return s;
  if (/[\n\t\\']/.test(s))
    return `$'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\t/g, '\\t')}'`;
  return `'${s}'`;
}

/**
 * The command that converts Hub checkpoint `repo@revision` into `models/<name>` exactly as the
 * page's Convert does: the page's flags, then the model's own (`flags`, from the catalog), then
 * `--endpoint` for a Hub other than huggingface.co.
 *
 * @example
 * pageConvertCommand({ repo: 'Qwen/Qwen2.5-Math-PRM-7B', revision: 'main', flags: ['--quantize-embedding'] })
 * // 'npx prm convert hf:Qwen/Qwen2.5-Math-PRM-7B --out models/Qwen2.5-Math-PRM-7B --dtype q4 --external-data --quantize-embedding'
 */
export function pageConvertCommand(opts: {
  repo: string;
  revision: string;
  flags?: readonly string[];
  endpoint?: string;
}): string {
  const { repo, revision, flags = [], endpoint } = opts;
  return [
    'npx prm convert',
    `hf:${repo}${revision && revision !== 'main' ? `@${revision}` : ''}`,
    '--out',
    `models/${repo.split('/')[1] ?? repo}`,
    ...PAGE_CONVERT_FLAGS,
    ...flags.map(shellWord),
    ...(endpoint ? ['--endpoint', shellWord(endpoint)] : []),
  ].join(' ');
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { makeTinyCheckpoint, type TinyCheckpointOptions, TINY_RLHFLOW } from '../convert/tiny-checkpoint.ts';
import { startHubStandIn, type HubStandIn } from '../support/hub-standin.ts';
import { runPrm, type Flags } from '../support/prm-cli.ts';

// `prm convert hf:owner/name` against the local Hub stand-in (two loopback origins, 302 to a
// range-serving "CDN") must write exactly the folder a local `prm convert` of the same files does.

let tmp: string;
let hub: HubStandIn;

const CASES: Record<string, Omit<TinyCheckpointOptions, 'dir'>> = {
  'qwen-prm-sharded': { arch: 'qwen2', head: 'qwen-prm', dtype: 'BF16', shards: 3, hidden: 64, heads: 4 },
  'token-classification': { arch: 'qwen2', head: 'token-classification', dtype: 'F16', hidden: 64, heads: 4 },
  'value-head-bin': { arch: 'qwen2', head: 'value-head', dtype: 'BF16', format: 'bin', hidden: 64, heads: 4 },
  'token-pair-bin-sharded': {
    arch: 'llama',
    head: 'token-pair',
    dtype: 'BF16',
    format: 'bin',
    shards: 2,
    hidden: 64,
    heads: 4,
  },
  // RLHFlow's shape: a Llama 3.1 causal LM with its chat template, converted as user-turns.
  'user-turns': TINY_RLHFLOW,
};

/** Flags a case converts with beyond `--dtype` (the catalog's convertFlags for such a model). */
const CASE_FLAGS: Record<string, Flags> = { 'user-turns': { family: 'user-turns' } };

async function files(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(relative(dir, p), await readFile(p));
    }
  };
  await walk(dir);
  return out;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'prm-hub-cli-'));
  const repos: Record<string, string> = {};
  for (const [name, o] of Object.entries(CASES)) {
    // The folder is named like the repo so both conversions default to the same prm.json name.
    await makeTinyCheckpoint({ ...o, dir: join(tmp, 'ckpt', name), seed: 3 });
    repos[`test-org/${name}`] = join(tmp, 'ckpt', name);
  }
  hub = await startHubStandIn(repos, { pageSize: 2 });
});

afterAll(async () => {
  await hub?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('prm convert hf:OWNER/NAME --endpoint URL', () => {
  it.each(Object.keys(CASES))(
    '%s: byte-identical to the local prm convert, weights read by range only',
    async (name) => {
      const local = await runPrm(['convert', join(tmp, 'ckpt', name)], {
        out: join(tmp, 'local', name),
        dtype: 'q4,fp16',
        ...CASE_FLAGS[name],
      });
      expect(local.err).not.toMatch(/error/i);
      expect(local.code).toBe(0);

      const before = hub.requests.length;
      const remote = await runPrm(['convert', `hf:test-org/${name}`], {
        endpoint: hub.url,
        out: join(tmp, 'remote', name),
        dtype: 'q4,fp16',
        ...CASE_FLAGS[name],
      });
      expect(remote.code, remote.err).toBe(0);
      expect(remote.err).toContain(`commit ${hub.commitOf(`test-org/${name}`)}`);

      const a = await files(join(tmp, 'local', name));
      const b = await files(join(tmp, 'remote', name));
      expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
      for (const [f, bytes] of a) expect(b.get(f)!.equals(bytes), f).toBe(true);
      const family = CASE_FLAGS[name]?.family ?? CASES[name].head;
      expect(JSON.parse(b.get('prm.json')!.toString('utf8')).family).toBe(family);

      // Weights came from the CDN origin by range, never whole; small files straight from the Hub.
      const seen = hub.requests.slice(before);
      const cdn = seen.filter((r) => r.origin === 'cdn');
      expect(cdn.length).toBeGreaterThan(0);
      expect(cdn.every((r) => r.range !== null)).toBe(true);
      const weightFiles = (await readdir(join(tmp, 'ckpt', name))).filter((f) =>
        /\.(safetensors|bin)$/.test(f),
      );
      let weightBytes = 0;
      for (const f of weightFiles) weightBytes += (await stat(join(tmp, 'ckpt', name, f))).size;
      const fetched = cdn.reduce((n, r) => {
        const m = /^bytes=(\d+)-(\d+)$/.exec(r.range!)!;
        return n + Number(m[2]) - Number(m[1]) + 1;
      }, 0);
      // Coalesced: every safetensors weight byte at most once (plus the 1-byte resolve probes); a
      // .bin adds its zip directory reads (the last 64 KiB, which is all of a tiny file).
      const bin = CASES[name].format === 'bin';
      expect(fetched).toBeLessThanOrEqual(bin ? 2 * weightBytes : weightBytes + weightFiles.length);
      // The listing pages were followed (page size 2) and each file resolved on the Hub origin.
      expect(seen.filter((r) => r.path.includes('/tree/')).length).toBeGreaterThan(1);
    },
  );

  it('retries a connection dropped mid-range and still writes the same bytes', async () => {
    const name = 'qwen-prm-sharded';
    hub.dropNextRanges(3, 100);
    const out = join(tmp, 'remote-dropped');
    const r = await runPrm(['convert', `hf:test-org/${name}`], { endpoint: hub.url, out, dtype: 'q4,fp16' });
    expect(r.code, r.err).toBe(0);
    expect(r.err.match(/retrying /g)?.length).toBe(3);
    const a = await files(join(tmp, 'local', name));
    const b = await files(out);
    for (const [f, bytes] of a) expect(b.get(f)!.equals(bytes), f).toBe(true);
  });

  it('--external-data stores the weights beside the graph, the same tensors as the inline model', async () => {
    const name = 'token-classification';
    const out = join(tmp, 'remote-external');
    const r = await runPrm(['convert', `hf:test-org/${name}`], {
      endpoint: hub.url,
      out,
      dtype: 'q4',
      'external-data': true,
    });
    expect(r.code, r.err).toBe(0);
    const b = await files(out);
    expect([...b.keys()].filter((f) => f.startsWith('onnx')).sort()).toEqual([
      'onnx/model_q4.onnx',
      'onnx/model_q4.onnx_data',
    ]);
    const graph = b.get('onnx/model_q4.onnx')!;
    expect(graph.length).toBeLessThan(b.get('onnx/model_q4.onnx_data')!.length);
    expect(graph.includes('model_q4.onnx_data')).toBe(true);
    expect(JSON.parse(b.get('config.json')!.toString())['transformers.js_config']).toEqual({
      use_external_data_format: { 'model_q4.onnx': 1 },
    });
  });

  it('honours HF_ENDPOINT when --endpoint is not given', async () => {
    const saved = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = hub.url;
    try {
      const r = await runPrm(['convert', 'hf:test-org/token-classification'], {
        out: join(tmp, 'env'),
        dtype: 'q4',
      });
      expect(r.code, r.err).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved;
    }
  });

  it.each<[string, string[], RegExp]>([
    [
      'an unknown repo',
      ['hf:test-org/no-such-model'],
      /no public model "test-org\/no-such-model" \(HTTP 401: Repository not found\)/,
    ],
    ['an unknown revision', ['hf:test-org/token-classification@v9'], /revision "v9" not found \(HTTP 404/],
    ['a malformed repo id', ['hf:not-a-repo'], /"not-a-repo" is not a Hub repo id/],
  ])('%s: exit code and a clear message, nothing written', async (_what, args, message) => {
    const out = join(tmp, 'never');
    const r = await runPrm(['convert', ...args, '--endpoint', hub.url, '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(message);
    await expect(stat(out)).rejects.toThrow();
  });

  it('an unreachable endpoint names it', async () => {
    hub.offline = true;
    try {
      const r = await runPrm(['convert', 'hf:test-org/token-classification'], {
        endpoint: hub.url,
        out: join(tmp, 'x'),
      });
      expect(r.code).not.toBe(0);
      expect(r.err).toContain(`could not reach the Hub at ${hub.url}`);
    } finally {
      hub.offline = false;
    }
  });
});

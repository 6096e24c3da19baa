#!/usr/bin/python3
"""The PyTorch backend of `prm bench`: times train/train_prm.py's own model class on a checkpoint.

Run by bench/torch.ts as `/usr/bin/python3 bench/torch_bench.py JOB.json`; prints one JSON line.
The job gives the checkpoint folder (config.json + model.safetensors, as train_prm.py writes) and
the benchmark solutions as token ids and score positions, so Python never tokenizes. It follows
bench/measure.ts: one cold score of the typical solution, then per solution one warm-up and
`repeats` timed runs; peak memory is the process's max RSS.

It only reads float32 single-file safetensors of the Qwen2ForProcessRewardModel head (what
train_prm.py writes); other checkpoints are refused with a message.
"""
import json
import os
import resource
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "train"))

import torch  # noqa: E402
import train_prm  # noqa: E402


def quantile(values, q):
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def check_checkpoint(ckpt):
    path = os.path.join(ckpt, "model.safetensors")
    if not os.path.exists(path):
        sys.exit("%s is missing: the PyTorch backend needs a train_prm.py checkpoint folder (--checkpoint DIR)" % path)
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    dtypes = {v["dtype"] for k, v in header.items() if k != "__metadata__"}
    if dtypes != {"F32"}:
        sys.exit("%s holds %s tensors; this backend reads float32 only (train_prm.py's format)" % (path, ",".join(sorted(dtypes))))
    with open(os.path.join(ckpt, "config.json")) as f:
        config = json.load(f)
    if "score.2.weight" not in header:
        sys.exit("%s has no Qwen2ForProcessRewardModel head (score.0/score.2); only that family runs in PyTorch here" % path)
    return config, path


def main(job_file):
    with open(job_file) as f:
        job = json.load(f)
    torch.set_num_threads(job.get("threads") or os.cpu_count())
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    config, path = check_checkpoint(job["checkpoint"])
    cfg = {k: config[k] for k in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                                   "num_key_value_heads", "rms_norm_eps", "rope_theta", "vocab_size")}
    model = train_prm.Qwen2ForProcessRewardModel(cfg)
    state = train_prm.read_safetensors(path)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing:
        sys.exit("%s lacks weights the model needs: %s" % (path, ", ".join(missing[:5])))
    model.eval()
    load_ms = (time.perf_counter() - t0) * 1000
    sols = {s["name"]: s for s in job["solutions"]}

    @torch.no_grad()
    def score(name):
        s = sols[name]
        ids = torch.tensor([s["inputIds"]])
        logits = model(ids)[0]
        probs = torch.softmax(logits.double(), -1)[:, 1]
        return [float(probs[p]) for p in s["scorePositions"]], len(s["inputIds"])

    names = [s["name"] for s in job["solutions"]]
    first = "typical" if "typical" in names else names[0]
    t = time.perf_counter()
    score(first)
    first_ms = (time.perf_counter() - t) * 1000
    out = []
    for name in names:
        for _ in range(job.get("warmup", 1)):
            score(name)
        samples = []
        for _ in range(job["repeats"]):
            t = time.perf_counter()
            rewards, tokens = score(name)
            samples.append((time.perf_counter() - t) * 1000)
        med = quantile(samples, 0.5)
        out.append({
            "name": name, "tokens": tokens, "rewards": rewards,
            "samplesMs": [round(x, 3) for x in samples],
            "medianMs": round(med, 3), "p90Ms": round(quantile(samples, 0.9), 3),
            "tokensPerSecond": round(tokens / med * 1000),
        })
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "backend": "torch",
        "label": "PyTorch %s (CPU, %d threads, fp32 checkpoint)" % (torch.__version__, torch.get_num_threads()),
        "dtype": "fp32 (checkpoint)",
        "threads": torch.get_num_threads(),
        "loadMs": round(load_ms, 1),
        "firstScoreMs": round(first_ms, 3),
        "solutions": out,
        "memory": {"peakMB": round(peak / 1024), "baseMB": round(base_rss / 1024),
                   "what": "peak RSS of the Python process (getrusage ru_maxrss); base = before loading"},
        "env": {"torch": torch.__version__, "checkpoint": job["checkpoint"]},
    }))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: /usr/bin/python3 bench/torch_bench.py JOB.json")
    main(sys.argv[1])

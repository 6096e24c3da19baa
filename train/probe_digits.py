"""What a train_prm.py checkpoint knows about the arithmetic it reads (for the model card).

  python3 train/probe_digits.py next CKPT train/out/probe/probe-rev.jsonl [--lm-layer K]
      next-token accuracy on the digits of each stated result of right drill lines, per
      operation (train/probe_data.ts), read through the tied embedding after layer K (default:
      the last), as the training's auxiliary loss reads it: does it know the result?
  python3 train/probe_digits.py judge CKPT train/data/val.jsonl [--truth-layer K]
      per operation, the score head at prepare.ts's arith_positions (digits of stated results):
      share of first wrong digits it marks wrong (p <= 0.5) and of right ones it passes (does it
      compare?), and of wrong digits whose true digit the states after layer K decode (does it
      know, where it reads the digit, what the digit should be?). --lm-layer K works too, for
      checkpoints trained without --truth-layer.
"""
import argparse, json, os, sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_prm as T  # noqa: E402

OPS = {"−": "-", "×": "*", "x": "*", "÷": "/"}


def next_digits(m, cfg, data, lm_layer, tokenizer):
    vocab = json.load(open(os.path.join(tokenizer, "tokenizer.json")))["model"]["vocab"]
    digits, eq = {vocab[str(d)] for d in range(10)}, vocab["="]
    stats = {}
    for line in open(data):
        e = json.loads(line)
        ids, sp = e["input_ids"], e["score_positions"]
        _, h = m.hidden(torch.tensor([ids]), lm_layer or cfg["num_hidden_layers"])
        pred = (h[0] @ m.model.embed_tokens.weight.t()).argmax(-1).tolist()
        start = ids.index(vocab["assistant"])
        for k, end in enumerate(sp):
            seg, start = range(start + 1, end), end
            eqs = [p for p in seg if ids[p] == eq]
            if not eqs:
                continue
            ok = [pred[p - 1] == ids[p] for p in seg if p > eqs[-1] and ids[p] in digits]
            s = stats.setdefault(OPS.get(e["ops"][k], e["ops"][k]), [0, 0, 0, 0])
            s[0], s[1], s[2], s[3] = s[0] + sum(ok), s[1] + len(ok), s[2] + all(ok), s[3] + 1
    for op, s in sorted(stats.items()):
        print("%s  digits %.2f  whole results %.2f  (%d results)" % (op, s[0] / s[1], s[2] / s[3], s[3]))


def judge(m, cfg, data, limit, truth_layer, tokenizer):
    """Per operation: the share of first wrong digits of stated results the score head marks wrong
    (p <= 0.5), of right digits it passes, and of wrong digits where the states after truth_layer
    decode the true digit through the tied embedding (prepare.ts arith_truth; what --truth-weight
    trains without --truth-head, whose training-only readout is not in the checkpoint)."""
    inv = {i: t for t, i in json.load(open(os.path.join(tokenizer, "tokenizer.json")))["model"]["vocab"].items()}
    stats = {}

    def add(key, op, ok):
        s = stats.setdefault((op, key), [0, 0])
        s[0], s[1] = s[0] + ok, s[1] + 1

    for i, line in enumerate(open(data)):
        if i >= limit:
            break
        e = json.loads(line)
        ap, al, truth = e.get("arith_positions", []), e.get("arith_labels", []), e.get("arith_truth")
        if not ap:
            continue
        ids = e["input_ids"]
        h, t = m.hidden(torch.tensor([ids]), truth_layer or cfg["num_hidden_layers"])
        p = torch.softmax(m.score(h[0, ap]), -1)[:, 1].tolist()
        decoded = (t[0, ap] @ m.model.embed_tokens.weight.t()).argmax(-1).tolist()
        for k, pos in enumerate(ap):
            # The operation: the token before the operand digits that precede the result's "=".
            j = pos - 1
            while inv[ids[j]].isdigit():
                j -= 1
            j -= 1
            while inv[ids[j]].isdigit():
                j -= 1
            glyph = T._token_text(inv[ids[j]], True)
            op = OPS.get(glyph, glyph) if glyph in OPS or glyph in ("+", "-", "*", "/") else "?"
            first_wrong = al[k] == 0 and (k == 0 or al[k - 1] == 1 or ap[k - 1] != pos - 1)
            if al[k] == 1:
                add("right digits passed", op, p[k] > 0.5)
            elif first_wrong:
                add("first wrong digits marked wrong", op, p[k] <= 0.5)
            if truth and truth[k] != -100 and first_wrong:
                add("true digit decoded at wrong ones", op, decoded[k] == truth[k])
    for (op, key), (hit, n) in sorted(stats.items(), key=lambda x: (x[0][1], x[0][0])):
        print("%-34s %s  %4d/%-4d %.2f" % (key, op, hit, n, hit / n))


def main():
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("what", choices=["next", "judge"])
    a.add_argument("ckpt")
    a.add_argument("data")
    a.add_argument("--lm-layer", type=int, default=0, help="next: the layer the next-token loss read")
    a.add_argument("--truth-layer", type=int, default=0, help="judge: the layer the truth loss read (0 = --lm-layer)")
    a.add_argument("--limit", type=int, default=1000, help="judge: examples read")
    a.add_argument("--tokenizer", default="train/tokenizer")
    args = a.parse_args()
    torch.set_num_threads(1)
    m, cfg = T.load_checkpoint(args.ckpt)
    with torch.no_grad():
        if args.what == "next":
            next_digits(m, cfg, args.data, args.lm_layer, args.tokenizer)
        else:
            judge(m, cfg, args.data, args.limit, args.truth_layer or args.lm_layer, args.tokenizer)


if __name__ == "__main__":
    main()

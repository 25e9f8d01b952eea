#!/usr/bin/env python3
"""Fusion on against fusion off: the same model, compiled both ways, timed
side by side.

The model (a .sbs or GGUF file, or a preset synthesized with gemma-sbs) is
compiled once per variant: `--fusion=all`, `--fusion=none` and, with
--single, `all` minus each fusion in turn. The variants then run
interleaved (A B C A B C ...) for --rounds rounds, each run a separate
`gemma-exec --bench` process with one warmup and one measured iteration, so
slow drifts of the machine (other load, frequency, page cache) fall on every
variant alike. Reported: the median over rounds of prefill and decode tok/s
per variant and each variant's ratio to `none`, as a markdown table
(fusion_compare.md), a PNG bar chart (fusion_compare.png) and the raw runs
(fusion_compare.json) in --out.

With --baseline-bin DIR (another build's bin/ folder: say, main before a
change), every variant is also compiled and run by that build, interleaved
with ours in every round, and the table gains its tok/s and our ratio to
it: the before/after check of a change that must not slow anything down.

  scripts/setup.sh --bench     # matplotlib into .venv (once)
  .venv/bin/python bench/fusion_compare.py --preset gemma3-270m --weight sfp
  .venv/bin/python bench/fusion_compare.py --preset tiny-gemma3 --weight bf16 --backend vulkan
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

from benchutil import write_results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "bin")
FUSIONS = ["attention", "qkv-rope", "geglu", "residual-norm", "norm-matmul", "logits"]


def check(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"fusion_compare: {' '.join(cmd)} failed:\n{proc.stderr.strip()}")
    return proc.stdout


def variants(single):
    """(label, --fusion value) pairs: all, none and optionally all-but-one."""
    result = [("all", "all"), ("none", "none")]
    if single:
        for f in FUSIONS:
            result.append((f"all - {f}", ",".join(x for x in FUSIONS if x != f)))
    return result


def bench(bin_dir, plan, args, json_path):
    check([os.path.join(bin_dir, "gemma-exec"), plan, "--bench",
           "--bench-prompt-len", str(args.prompt_len), "--max-tokens", str(args.tokens),
           "--bench-warmup", "1", "--bench-iters", "1", "--threads", str(args.threads),
           "--bench-json", json_path])
    with open(json_path) as f:
        return json.load(f)


def write_chart(path, title, labels, prefill, decode):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(4 + 1.1 * len(labels), 4.2))
    for ax, values, name in ((axes[0], prefill, "prefill"), (axes[1], decode, "decode")):
        base = values[labels.index("none")]
        bars = ax.bar(range(len(labels)), values,
                      color=["#3b7dd8" if l == "all" else "#9aa5b1" if l == "none"
                             else "#7fb069" for l in labels])
        for bar, v in zip(bars, values):
            ax.annotate(f"{v:.1f}\n{v / base:.2f}x", (bar.get_x() + bar.get_width() / 2,
                        bar.get_height()), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("tok/s")
        ax.set_title(name)
        ax.set_ylim(0, max(values) * 1.25)
    fig.suptitle(textwrap.fill(title, 70), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a .sbs or GGUF model file")
    source.add_argument("--preset", help="synthesize this preset (gemma-sbs presets)")
    p.add_argument("--weight", default="sfp", help="weight type of a synthesized preset")
    p.add_argument("--single", action="store_true",
                   help="also `all` with each single fusion turned off")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--prompt-len", type=int, default=32)
    p.add_argument("--tokens", type=int, default=32, help="decode steps per run")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--backend", default="cpu",
                   help="the backend the plans are compiled for (cpu, vulkan, cuda)")
    p.add_argument("--out", default=os.path.join(ROOT, "build", "bench"),
                   help="directory for fusion_compare.{md,png,json}")
    p.add_argument("--baseline-bin",
                   help="another build's bin/ folder, run interleaved with ours")
    args = p.parse_args()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        sys.exit("fusion_compare: matplotlib is missing; run scripts/setup.sh --bench "
                 "and use .venv/bin/python")

    work = tempfile.mkdtemp(prefix="fusion_compare.")
    model = args.model
    if args.preset:
        model = os.path.join(work, f"{args.preset}-{args.weight}.sbs")
        check([os.path.join(BIN, "gemma-sbs"), "synth", "--preset", args.preset,
               "--weight", args.weight, "-o", model])
    runs = variants(args.single)
    builds = {"ours": BIN}
    if args.baseline_bin:
        builds["baseline"] = args.baseline_bin
    plans = {}
    for build, bin_dir in builds.items():
        for label, fusion in runs:
            plans[build, label] = os.path.join(work, f"{len(plans)}.plan")
            check([os.path.join(bin_dir, "gemma-compile"), model, "-o",
                   plans[build, label], f"--fusion={fusion}", "--prefill-buckets",
                   str(args.prompt_len), "--backend", args.backend])

    results = {key: [] for key in plans}
    for r in range(args.rounds):
        for label, _ in runs:
            for build, bin_dir in builds.items():
                results[build, label].append(
                    bench(bin_dir, plans[build, label], args, os.path.join(work, "run.json")))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    labels = [label for label, _ in runs]
    med = {key: (statistics.median(x["prefill_tok_s"]["mean"] for x in results[key]),
                 statistics.median(x["decode_tok_s"]["mean"] for x in results[key]))
           for key in results}
    first = results["ours", "all"][0]
    name = os.path.basename(args.model) if args.model else f"{args.preset} ({args.weight})"
    title = (f"{name}, {first['backend_detail']}, prompt {args.prompt_len}, "
             f"{args.tokens} decode steps, median of {args.rounds} interleaved rounds")
    baseline = "baseline" in builds
    lines = [title, ""]
    if baseline:
        lines += [f"baseline: {args.baseline_bin}", ""]

    def columns(name, ours, base, before):
        cells = [f"{name} tok/s" if ours is None else f"{ours:.1f}",
                 "vs none" if ours is None else f"{ours / base:.2f}x"]
        if baseline:
            cells += ["baseline", "vs baseline"] if ours is None else \
                [f"{before:.1f}", f"{ours / before:.2f}x"]
        return cells

    header = ["fusions"] + columns("prefill", None, 0, 0) + columns("decode", None, 0, 0)
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    base_p, base_d = med["ours", "none"]
    for label in labels:
        p_, d_ = med["ours", label]
        bp, bd = med["baseline", label] if baseline else (0, 0)
        cells = [label] + columns("prefill", p_, base_p, bp) + columns("decode", d_, base_d, bd)
        lines.append("| " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    write_results(args.out, "fusion_compare", table,
                  {"title": title, "baseline": args.baseline_bin,
                   "runs": {f"{b}: {l}": v for (b, l), v in results.items()}})
    write_chart(os.path.join(args.out, "fusion_compare.png"), title, labels,
                [med["ours", l][0] for l in labels], [med["ours", l][1] for l in labels])
    print(table)
    print(f"wrote {args.out}/fusion_compare.{{md,png,json}}", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The CUDA backend's numbers on a GPU, as issue 9 asks for them.

For each preset (default gemma3-270m and gemma3-1b, synthesized with
gemma-sbs) and weight type (bf16, sfp), plans for --backend cuda with
prefill buckets 32 and 512 are compiled fused (`--fusion=all`) and unfused
(`none`), then timed with `gemma-exec --bench` (one process per run, one
warmup and --iters measured iterations): prefill at 32 and 512 prompt
tokens, decode tok/s, the fraction of the device's measured memory
bandwidth decode reaches (the roofline), fusion all against none, and CUDA
graphs on against off (GEMMA_CUDA_GRAPH=0). Results: gpu_report.md (a
markdown table) and gpu_report.json (every run's --bench-json) in --out.
Standard library only, so it runs on a GPU machine without the venv:

  python3 bench/gpu_report.py                       # cuda:0
  python3 bench/gpu_report.py --presets tiny-gemma3 --weights bf16 --device cuda-sim \
      --context 128 --long-prompt 64 --tokens 4 --iters 1   # the plumbing, no GPU
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import write_results  # noqa: E402


def run(cmd, env=None):
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        sys.exit(f"gpu_report: {' '.join(cmd[:3])} failed:\n{proc.stderr}")
    return proc.stdout


def bench(binary, plan, device, prompt, tokens, iters, graph, work):
    out = os.path.join(work, "run.json")
    run([os.path.join(binary, "gemma-exec"), plan, "--device", device, "--bench",
         "--bench-prompt-len", str(prompt), "--max-tokens", str(tokens),
         "--bench-warmup", "1", "--bench-iters", str(iters),
         "--bench-json", out], env={"GEMMA_CUDA_GRAPH": "1" if graph else "0"})
    with open(out) as f:
        return json.load(f)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--presets", default="gemma3-270m,gemma3-1b")
    p.add_argument("--weights", default="bf16,sfp")
    p.add_argument("--device", default="cuda:0")
    p.add_argument("--tokens", type=int, default=64, help="decode steps per run")
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--context", type=int, default=1024)
    p.add_argument("--long-prompt", type=int, default=512,
                   help="the long prefill (a bucket of the plans)")
    p.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    p.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
    args = p.parse_args()

    work = tempfile.mkdtemp(prefix="gpu_report.")
    rows, raw = [], []
    for preset in args.presets.split(","):
        for weight in args.weights.split(","):
            sbs = os.path.join(work, f"{preset}-{weight}.sbs")
            run([os.path.join(args.bin, "gemma-sbs"), "synth", "--preset", preset,
                 "--weight", weight, "-o", sbs])
            plans = {}
            for fusion in ("all", "none"):
                plans[fusion] = os.path.join(work, f"{preset}-{weight}-{fusion}.plan")
                run([os.path.join(args.bin, "gemma-compile"), sbs, "-o", plans[fusion],
                     "--backend", "cuda", f"--fusion={fusion}",
                     "--prefill-buckets", f"32,{args.long_prompt}",
                     "--context", str(args.context)])
            r = {}
            for key, fusion, prompt, graph in (("p32", "all", 32, True),
                                               ("p512", "all", args.long_prompt, True),
                                               ("nograph", "all", 32, False),
                                               ("none", "none", 32, True)):
                r[key] = bench(args.bin, plans[fusion], args.device, prompt,
                               args.tokens, args.iters, graph, work)
                raw.append({"preset": preset, "weight": weight, "run": key, **r[key]})
                print(f"{preset} {weight} {key} done", file=sys.stderr)
            d = lambda k: r[k]["decode_tok_s"]["mean"]  # noqa: E731
            rows.append(
                f"| {preset} | {weight} | {r['p32']['prefill_tok_s']['mean']:.0f} | "
                f"{r['p512']['prefill_tok_s']['mean']:.0f} | {d('p32'):.1f} | "
                f"{100 * r['p32']['roofline_fraction']:.0f}% of "
                f"{r['p32']['machine_read_gb_s']:.0f} GB/s | "
                f"{d('p32') / d('none'):.2f}x | {d('p32') / d('nograph'):.2f}x |")
    first = raw[0]
    table = "\n".join([
        f"{first['device']}, {first['backend_detail']}, {args.tokens} decode steps, "
        f"mean of {args.iters} iterations", "",
        f"| preset | weights | prefill 32 tok/s | prefill {args.long_prompt} tok/s | "
        "decode tok/s | "
        "roofline | decode fusion all / none | decode graph on / off |",
        "|---|---|---|---|---|---|---|---|", *rows, ""])
    print(table)
    write_results(args.out, "gpu_report", table, raw)


if __name__ == "__main__":
    main()

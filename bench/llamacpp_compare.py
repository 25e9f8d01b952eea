#!/usr/bin/env python3
"""Our CPU runtime and llama.cpp on the same GGUF, side by side.

Both engines run the same token ids (the first 32 and 512 of a long English
text from test/fixtures/gemma3-270m-gguf/llamacpp.json) with the same thread
count, each in its own process, interleaved A B A B over --iters rounds:
prefill tok/s (all prompt tokens but the last), greedy decode tok/s
(--tokens steps), and each process's peak RSS. Prints a markdown table with
the median of each figure and our/llama.cpp ratios.

llama.cpp comes from the PyPI package llama-cpp-python (it builds llama.cpp
from source; not part of scripts/setup.sh):
  python3 -m venv /tmp/llama && /tmp/llama/bin/pip install llama-cpp-python
  bench/llamacpp_compare.py --llama-python /tmp/llama/bin/python
"""
import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile

from benchutil import run_measured

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LLAMA_RUN = r"""
import json, sys, time
import numpy as np
from llama_cpp import Llama
model, ids, tokens, threads = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
llm = Llama(model_path=model, n_ctx=1024, n_batch=512, n_ubatch=512, n_threads=threads,
            n_threads_batch=threads, verbose=False)
t = time.perf_counter()
llm.eval(ids[:-1])
prefill = time.perf_counter() - t
tok = ids[-1]
t = time.perf_counter()
for _ in range(tokens):
    llm.eval([tok])
    logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
    tok = int(np.argmax(logits))
decode = time.perf_counter() - t
print(json.dumps({"prefill": prefill, "decode": decode}))
"""


def run(cmd):
    return run_measured(cmd, "llamacpp_compare")


def ours(plan, ids, tokens, threads, extra):
    out, err, rss = run([os.path.join(ROOT, "build/bin/gemma-exec"), plan,
                         "--prompt-ids", ",".join(map(str, ids)), "--max-tokens",
                         str(tokens), "--ignore-eos", "--print-ids", "--threads",
                         str(threads)] + shlex.split(extra))
    m = re.search(r"prefill (\d+) tokens in ([\d.]+) s .* decode (\d+) tokens in ([\d.]+) s", err)
    return {"prefill": float(m.group(2)), "decode": float(m.group(4)), "rss": rss}


def llama(python, model, ids, tokens, threads):
    out, err, rss = run([python, "-c", LLAMA_RUN, model, json.dumps(ids), str(tokens),
                         str(threads)])
    result = json.loads(out.strip().splitlines()[-1])
    result["rss"] = rss
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--llama-python", required=True,
                   help="a python with llama-cpp-python installed")
    p.add_argument("--model", help="the GGUF (default: scripts/model-path.sh)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--tokens", type=int, default=64, help="decode steps")
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--ours-args", default="",
                   help="extra gemma-exec flags, e.g. '--prefill-math bf16'")
    args = p.parse_args()
    model = args.model or subprocess.check_output(
        [os.path.join(ROOT, "scripts/model-path.sh")], text=True).strip()
    with open(os.path.join(ROOT, "test/fixtures/gemma3-270m-gguf/llamacpp.json")) as f:
        long_ids = next(q for q in json.load(f)["prompts"]
                        if q["name"] == "long_travel_log")["prompt_ids"]
    plan = os.path.join(tempfile.mkdtemp(), "model.plan")
    subprocess.check_call([os.path.join(ROOT, "build/bin/gemma-compile"), model, "-o", plan,
                           "--context", "1024", "--prefill-buckets", "32,128,512"],
                          stdout=subprocess.DEVNULL)
    rows = []
    for n in (32, 512):
        ids = long_ids[:n]
        a, b = [], []
        for _ in range(args.iters):
            a.append(ours(plan, ids, args.tokens, args.threads, args.ours_args))
            b.append(llama(args.llama_python, model, ids, args.tokens, args.threads))
        med = lambda runs, key: statistics.median(r[key] for r in runs)
        rows.append((n, (n - 1) / med(a, "prefill"), (n - 1) / med(b, "prefill"),
                     args.tokens / med(a, "decode"), args.tokens / med(b, "decode"),
                     med(a, "rss"), med(b, "rss")))
    print(f"Gemma 3 270M Q4_K_M GGUF, {args.threads} threads, median of {args.iters} "
          f"interleaved runs, {args.tokens} decode steps"
          + (f", ours with {args.ours_args}" if args.ours_args else "") + "\n")
    print("| prompt | prefill ours | prefill llama.cpp | ratio | decode ours | "
          "decode llama.cpp | ratio | peak RSS ours | peak RSS llama.cpp |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n, pa, pb, da, db, ra, rb in rows:
        print(f"| {n} tokens | {pa:.0f} tok/s | {pb:.0f} tok/s | {pa / pb:.2f} | "
              f"{da:.1f} tok/s | {db:.1f} tok/s | {da / db:.2f} | {ra:.0f} MiB | {rb:.0f} MiB |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Our CPU runtime and Google's gemma.cpp on the same .sbs weights, side by side.

Both engines run the same weights with the same thread count, each in its own
process, interleaved A B A B over --rounds rounds for each prompt length
(--prompt-lens, prefilled tokens; default 32 and 600): prefill tok/s, greedy
decode tok/s (--tokens steps) and each process's peak RSS. Prints the machine
(CPU, threads, load) and a markdown table with the median of each figure and
our/gemma.cpp ratios; writes the table to gemmacpp_compare.md and the raw runs
to gemmacpp_compare.json in --out. Without --sbs the gemma3-270m preset is
synthesized with SFP weights as build/bench/gemma3-270m-sfp.sbs (reused).

gemma.cpp reads its prompts on stdin (interactive, --multiturn 0: each turn
starts over at position 0) and always wraps them in its chat template for
these files. The prompt is the opening words of gemma.cpp's README (PASSAGE
below, cycled if more are needed), as many as make the requested count by our
tokenizer and chat template, which count as gemma.cpp does (with gemma3-270m's
synthetic tokenizer 9 and 174 words make 32 and 600). The table shows the
count gemma.cpp reports. Each process measures --turns warm runs of the prompt
and reports their median: gemma.cpp reads the prompt --turns + 1 times and its
first turn is dropped (it includes the one-time matmul autotuning); ours is
`gemma-exec --bench` with one warmup and --turns measured iterations (the p50
prefill; decode as steps over their summed time). A 32-token prefill takes
about 30 ms, where one run moved by up to 1.8x on this shared machine: one
turn per process made the ratio swing between rounds.

What each engine counts, for N prefilled tokens:
- gemma.cpp: Prefill is the wrapped prompt (BOS, template, text) but its last
  token, N = size - 1, in batches of 256 tokens, no logits. Generate is
  --max_generated_tokens steps, the first consuming the last prompt token,
  each one with logits, top-1 sampling and the token's text streamed to
  stdout, timed as a whole; it stops early at an end-of-turn or EOS id and
  reports the steps it ran (the script warns when that is fewer).
- ours, --bench-prompt-len N + 1: BOS and N deterministic ids spread over the
  vocabulary (speed does not depend on which). Prefill is all but the last,
  the same N, on zeroed KV caches, no logits, through the plan's prefill
  buckets (32, 128, 512: the largest that fits, a remainder padded up to the
  next, so 600 runs 512 + 128). Decode is --tokens steps, the first consuming
  the last prompt token, each one with logits and argmax; decode tok/s is
  steps over the sum of step times. It never stops at EOS.
- Peak RSS: gemma.cpp's whole process (os.wait4), ours as --bench reports it
  (getrusage before its 512 MiB bandwidth probe). Both include the weights
  and each engine's own KV cache sizing (ours: the plan's context, by default
  the model's; gemma.cpp: --seq_len, default 8192).

gemma.cpp is built from source (not part of scripts/setup.sh); CMake's
FetchContent downloads its dependencies at the commits its CMakeLists.txt
pins:
  git clone https://github.com/google/gemma.cpp /tmp/gemma.cpp
  cmake -S /tmp/gemma.cpp -B /tmp/gemma.cpp/build -DCMAKE_BUILD_TYPE=Release \\
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \\
      -DSPM_ENABLE_SHARED=OFF -DGEMMA_ENABLE_TESTS=OFF -DHWY_ENABLE_TESTS=OFF \\
      -DHWY_ENABLE_EXAMPLES=OFF -DBENCHMARK_ENABLE_TESTING=OFF
  cmake --build /tmp/gemma.cpp/build -j --target gemma
  bench/gemmacpp_compare.py --gemma /tmp/gemma.cpp/build/gemma
This project measures commit 3ed403e (git -C /tmp/gemma.cpp checkout 3ed403e)
configured with -DCMAKE_C_FLAGS=-march=haswell and
-DCMAKE_CXX_FLAGS="-march=haswell -DHWY_COMPILE_ONLY_STATIC=1" (Highway's AVX2
target only, the ISA of our CPU backend, and a shorter build). Offline, add
-DFETCHCONTENT_FULLY_DISCONNECTED=ON and -DFETCHCONTENT_SOURCE_DIR_<DEP>=DIR
for HIGHWAY, SENTENCEPIECE, JSON, HTTPLIB and BENCHMARK, each DIR a clone at
the pinned commit.
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

from benchutil import cpu_name, run_measured, write_results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "bin")

# The first 174 words of gemma.cpp's README.md at commit 3ed403e, whitespace
# squeezed and characters other than [A-Za-z0-9 .,;:()?!-] dropped: two
# paragraphs, where the dropped "## " of a heading leaves two spaces between
# them (the tokenizer counts them).
_PARAGRAPHS = ["""
gemma.cpp gemma.cpp is a lightweight, standalone C inference engine for the Gemma
foundation models from Google. For additional information about Gemma, see
ai.google.devgemma(https:ai.google.devgemma). Model weights, including gemma.cpp
specific artifacts, are available on kaggle(https:www.kaggle.commodelsgooglegemma-2).
""", """
Who is this project for? Modern LLM inference engines are sophisticated systems, often
with bespoke capabilities extending beyond traditional neural network runtimes. With
this comes opportunities for research and innovation through co-design of high level
algorithms and low-level computation. However, there is a gap between
deployment-oriented C inference runtimes, which are not designed for experimentation,
and Python-centric ML research frameworks, which abstract away low-level computation
through compilation. gemma.cpp provides a minimalist implementation of Gemma-2, Gemma-3,
and PaliGemma-2 models, focusing on simplicity and directness rather than full
generality. This is inspired by vertically-integrated model implementations such as
ggml(https:github.comggerganovggml), llama.c(https:github.comkarpathyllama2.c), and
llama.rs(https:github.comsrushllama2.rs). gemma.cpp targets experimentation and research
use cases. It is intended to be straightforward to embed in other projects with minimal
dependencies and also easily modifiable with a small 2K LoC core implementation (along
with 4K LoC of supporting utilities). We use
"""]
# Each word with the whitespace after it.
PASSAGE = re.findall(r"\S+\s*", "  ".join(" ".join(p.split()) for p in _PARAGRAPHS) + " ")
# Words of PASSAGE that make these many prefilled tokens with gemma3-270m's
# synthetic tokenizer and the chat template; other lengths are searched for.
WORDS = {32: 9, 600: 174}

PREFILL = re.compile(r"\[ Timing info \] Prefill: (\d+) ms for (\d+) prompt tokens "
                     r"\(([\d.]+) tokens / sec\)")
GENERATE = re.compile(r"\[ Timing info \] Generate: (\d+) ms for (\d+) tokens "
                      r"\(([\d.]+) tokens / sec\)")


def check(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"gemmacpp_compare: {' '.join(cmd)} failed:\n{proc.stderr.strip()}")
    return proc


def run(cmd, stdin=""):
    return run_measured(cmd, "gemmacpp_compare", stdin)


def prompt_text(words):
    return "".join(PASSAGE[i % len(PASSAGE)] for i in range(words)).strip()


def prompt_tokens(plan, words, threads):
    """Tokens our gemma-exec prefills for prompt_text(words) in the chat template."""
    err = check([os.path.join(BIN, "gemma-exec"), plan, "--prompt", prompt_text(words),
                 "--max-tokens", "1", "--threads", str(threads)]).stderr
    return int(re.search(r"prefill (\d+) tokens", err).group(1))


def find_prompt(plan, target, threads):
    """(words, prefilled tokens) of the prompt closest to `target` tokens."""
    words = WORDS.get(target) or max(1, round(target * WORDS[600] / 600))
    seen = {}
    while words not in seen and len(seen) < 8:
        seen[words] = prompt_tokens(plan, words, threads)
        n = seen[words]
        if n == target:
            break
        step = round((target - n) * words / max(n, 1))
        words = max(1, words + (step or (1 if target > n else -1)))
    return min(seen.items(), key=lambda kv: (abs(kv[1] - target), kv[0]))


def ours(plan, prefilled, args, json_path):
    check([os.path.join(BIN, "gemma-exec"), plan, "--bench",
           "--bench-prompt-len", str(prefilled + 1), "--max-tokens", str(args.tokens),
           "--threads", str(args.threads), "--bench-warmup", "1",
           "--bench-iters", str(args.turns),
           "--bench-json", json_path] + shlex.split(args.ours_args))
    with open(json_path) as f:
        j = json.load(f)
    return {"prefill_tokens": j["prompt_tokens"] - 1, "decode_steps": j["decode_steps"],
            "prefill": j["prefill_tok_s"]["p50"], "decode": j["decode_tok_s"]["mean"],
            "rss": j["peak_rss_mib"]}


def gemmacpp(args, sbs, words):
    text = prompt_text(words) + "\n"
    out, err, rss = run([args.gemma, "--weights", sbs, "--num_threads", str(args.threads),
                         "--max_generated_tokens", str(args.tokens), "--verbosity", "1",
                         "--multiturn", "0"] + shlex.split(args.gemma_args),
                        stdin=text * (args.turns + 1) + "%q\n")
    prefills, generates = PREFILL.findall(err + out), GENERATE.findall(err + out)
    if len(prefills) < args.turns + 1 or len(generates) < args.turns + 1:
        sys.exit(f"gemmacpp_compare: {len(prefills)} timed turns of {args.turns + 1} "
                 f"from {args.gemma}:\n{err}")
    # The warm turns; the first includes gemma.cpp's autotuning.
    warm_p, warm_g = prefills[1:args.turns + 1], generates[1:args.turns + 1]
    return {"prefill_tokens": int(warm_p[0][1]), "decode_steps": min(int(g[1]) for g in warm_g),
            "prefill": statistics.median(float(x[2]) for x in warm_p),
            "decode": statistics.median(float(x[2]) for x in warm_g),
            "cold_prefill": float(prefills[0][2]), "cold_decode": float(generates[0][2]),
            "rss": rss}


def med(results, key):
    return statistics.median(x[key] for x in results)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gemma", required=True, help="gemma.cpp's gemma binary")
    p.add_argument("--sbs", help="the weight file (default: gemma3-270m preset, SFP, "
                   "synthesized as build/bench/gemma3-270m-sfp.sbs)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--tokens", type=int, default=32, help="decode steps")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--turns", type=int, default=5,
                   help="warm runs of the prompt in each process, their median reported")
    p.add_argument("--prompt-lens", default="32,600",
                   help="comma-separated prefilled token counts")
    p.add_argument("--gemma-args", default="",
                   help="extra gemma.cpp flags, e.g. '--spin 0' on a busy machine")
    p.add_argument("--ours-args", default="",
                   help="extra gemma-exec flags, e.g. '--prefill-math bf16' (the "
                   "opt-in mode that rounds activations to bf16 as gemma.cpp does)")
    p.add_argument("--out", default=os.path.join(ROOT, "build", "bench"),
                   help="directory for gemmacpp_compare.{md,json}")
    args = p.parse_args()
    lens = [int(x) for x in args.prompt_lens.split(",")]
    if not os.access(args.gemma, os.X_OK):
        sys.exit(f"gemmacpp_compare: {args.gemma} is not an executable (see --help)")

    sbs = args.sbs
    if not sbs:
        sbs = os.path.join(ROOT, "build", "bench", "gemma3-270m-sfp.sbs")
        if not os.path.exists(sbs):
            os.makedirs(os.path.dirname(sbs), exist_ok=True)
            check([os.path.join(BIN, "gemma-sbs"), "synth", "--preset", "gemma3-270m",
                   "--weight", "sfp", "-o", sbs])
    load = os.getloadavg()[0]
    machine = (f"{cpu_name()}, {os.cpu_count()} CPUs online, {args.threads} threads, "
               f"load average {load:.2f}")
    if load > 0.5:
        print(f"gemmacpp_compare: warning: the machine is not idle (load average "
              f"{load:.2f}); the numbers will be noisy", file=sys.stderr)

    rows, runs = [], {}
    with tempfile.TemporaryDirectory(prefix="gemmacpp_compare.") as work:
        plan = os.path.join(work, "model.plan")
        check([os.path.join(BIN, "gemma-compile"), sbs, "-o", plan,
               "--prefill-buckets", "32,128,512"])
        for target in lens:
            words, n = find_prompt(plan, target, args.threads)
            a, b = [], []
            for r in range(args.rounds):
                a.append(ours(plan, n, args, os.path.join(work, "run.json")))
                b.append(gemmacpp(args, sbs, words))
                print(f"prompt {target}: round {r + 1}/{args.rounds} done", file=sys.stderr)
            got = {x["prefill_tokens"] for x in b}
            if got != {n}:
                print(f"gemmacpp_compare: warning: gemma.cpp prefilled {sorted(got)} tokens "
                      f"for {words} words, ours {n}", file=sys.stderr)
            short = [x["decode_steps"] for x in b if x["decode_steps"] < args.tokens]
            if short:
                print(f"gemmacpp_compare: warning: gemma.cpp stopped at EOS after {short} "
                      f"of {args.tokens} steps", file=sys.stderr)
            runs[str(target)] = {"words": words, "prefill_tokens": n, "ours": a, "gemmacpp": b}
            rows.append((med(b, "prefill_tokens"), med(a, "prefill"), med(b, "prefill"),
                         med(a, "decode"), med(b, "decode"), med(a, "rss"), med(b, "rss")))

    title = (f"{os.path.basename(sbs)}, {args.threads} threads, median of {args.rounds} "
             f"interleaved rounds of {args.turns} warm turns each, {args.tokens} decode "
             f"steps")
    lines = [title, "", f"Machine: {machine}", "",
             "| prompt | prefill ours | prefill gemma.cpp | ratio | decode ours | "
             "decode gemma.cpp | ratio | peak RSS ours | peak RSS gemma.cpp |",
             "|---|---|---|---|---|---|---|---|---|"]
    for n, pa, pb, da, db, ra, rb in rows:
        lines.append(f"| {n:.0f} tokens | {pa:.0f} tok/s | {pb:.0f} tok/s | {pa / pb:.2f} | "
                     f"{da:.1f} tok/s | {db:.1f} tok/s | {da / db:.2f} | {ra:.0f} MiB | "
                     f"{rb:.0f} MiB |")
    table = "\n".join(lines) + "\n"
    write_results(args.out, "gemmacpp_compare", table,
                  {"title": title, "machine": machine, "weights": sbs, "gemma": args.gemma,
                   "gemma_args": args.gemma_args, "runs": runs})
    print(table)
    print(f"wrote {args.out}/gemmacpp_compare.{{md,json}}", file=sys.stderr)


if __name__ == "__main__":
    main()

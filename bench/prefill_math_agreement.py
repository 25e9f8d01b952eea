#!/usr/bin/env python3
"""How far `gemma-exec --prefill-math bf16` departs from the exact f32 path.

Runs every prompt of test/fixtures/gemma3-270m-gguf/llamacpp.json (the real
Gemma 3 270M Q4_K_M, 6 to 672 tokens, one past the 512-token window) through
`gemma-exec --print-ids` twice, greedy, --tokens steps each: once with the
default f32 prefill and once with bf16. Decode is f32 in both, so any
difference comes from the prompt's KV cache and its last logits, computed
with bf16-rounded operands. Prints, per prompt, the first step where the
greedy ids differ (or that all agree), and a summary line. The f32 run's ids
are the ones the test suite holds against transformers.

  bench/prefill_math_agreement.py [--model GGUF] [--tokens 32] [--threads 2]
"""
import argparse
import json
import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(plan, ids, tokens, threads, math):
    out = subprocess.run(
        [os.path.join(ROOT, "build/bin/gemma-exec"), plan, "--prompt-ids",
         ",".join(map(str, ids)), "--max-tokens", str(tokens), "--ignore-eos",
         "--print-ids", "--threads", str(threads), "--prefill-math", math],
        check=True, capture_output=True, text=True).stdout
    return [int(t) for t in out.split()]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", help="the GGUF (default: scripts/model-path.sh)")
    p.add_argument("--tokens", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    model = args.model or subprocess.check_output(
        [os.path.join(ROOT, "scripts/model-path.sh")], text=True).strip()
    with open(os.path.join(ROOT, "test/fixtures/gemma3-270m-gguf/llamacpp.json")) as f:
        prompts = json.load(f)["prompts"]
    plan = os.path.join(tempfile.mkdtemp(), "model.plan")
    subprocess.check_call([os.path.join(ROOT, "build/bin/gemma-compile"), model, "-o", plan,
                           "--context", "1024", "--prefill-buckets", "32,128,512"],
                          stdout=subprocess.DEVNULL)
    same = 0
    for prompt in prompts:
        ids = prompt["prompt_ids"]
        exact = run(plan, ids, args.tokens, args.threads, "f32")
        rounded = run(plan, ids, args.tokens, args.threads, "bf16")
        first = next((k for k, (a, b) in enumerate(zip(exact, rounded)) if a != b), None)
        if first is None:
            same += 1
            print(f"{prompt['name']} ({len(ids)} tokens): all {args.tokens} steps agree")
        else:
            print(f"{prompt['name']} ({len(ids)} tokens): first differs at step {first}")
    print(f"bf16 prefill: {same} of {len(prompts)} prompts give the f32 path's "
          f"{args.tokens} greedy ids")


if __name__ == "__main__":
    main()

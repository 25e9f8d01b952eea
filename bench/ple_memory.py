#!/usr/bin/env python3
"""What a Gemma 4 E2B-shaped GGUF costs in memory and reads per decode step.

The per-layer embedding table of Gemma 4's E models is larger than the rest of
the model (E2B: 262144 x 35 x 256 values). This writes a gemma4 GGUF of E2B's
shapes (1536 wide, 35 layers of which the last 20 share caches, 8 heads of 256
on sliding layers and 512 on the global ones, the double-wide MLP on shared
layers, P = 256) with random q8_0 weights, as llama.cpp's converter lays it
out (docs/formats/gguf-gemma4.md), compiles it and runs `gemma-exec --bench`,
which prints the bytes a step reads (a table only gathered from counts one
row), tok/s beside the machine's read bandwidth, and peak RSS. The file is
about 4.9 GB; it is written once into --dir and reused.

  .venv/bin/python bench/ple_memory.py [--dir /tmp/e2b] [--threads 2]
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import gguf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "bin")

D, LAYERS, HEADS, VOCAB, P, FF, WINDOW = 1536, 35, 8, 262144, 256, 6144, 512
HEAD_SLIDING, HEAD_GLOBAL, SHARED = 256, 512, 20


def write_e2b(path, rng):
    sliding = [i % 5 != 4 for i in range(LAYERS)]
    ff = [FF if i < LAYERS - SHARED else 2 * FF for i in range(LAYERS)]
    w = gguf.GGUFWriter(path, "gemma4")
    k = "gemma4."
    for key, value in [("context_length", 131072), ("embedding_length", D),
                       ("block_count", LAYERS), ("attention.head_count", HEADS),
                       ("attention.head_count_kv", 1),
                       ("attention.key_length", HEAD_GLOBAL),
                       ("attention.value_length", HEAD_GLOBAL),
                       ("attention.key_length_swa", HEAD_SLIDING),
                       ("attention.value_length_swa", HEAD_SLIDING),
                       ("rope.dimension_count", HEAD_GLOBAL),
                       ("rope.dimension_count_swa", HEAD_SLIDING),
                       ("attention.sliding_window", WINDOW),
                       ("attention.shared_kv_layers", SHARED),
                       ("embedding_length_per_layer_input", P)]:
        w.add_uint32(k + key, value)
    for key, value in [("rope.freq_base", 1e6), ("rope.freq_base_swa", 1e4),
                       ("attention.layer_norm_rms_epsilon", 1e-6),
                       ("final_logit_softcapping", 30.0)]:
        w.add_float32(k + key, value)
    w.add_array(k + "feed_forward_length", ff)
    w.add_array(k + "attention.sliding_window_pattern", sliding)

    def q8_0(name, rows, cols):
        blocks = np.empty((rows, cols // 32, 34), dtype=np.uint8)
        blocks[:, :, 0:2] = np.frombuffer(np.float16(0.02 / 127).tobytes(), np.uint8)
        blocks[:, :, 2:] = rng.integers(-127, 128, (rows, cols // 32, 32),
                                        dtype=np.int8).view(np.uint8)
        w.add_tensor(name, blocks.reshape(rows, cols // 32 * 34),
                     raw_dtype=gguf.GGMLQuantizationType.Q8_0)

    def f32(name, n, mean=1.0):
        w.add_tensor(name, (mean + 0.1 * rng.standard_normal(n)).astype(np.float32))

    freqs = np.full(HEAD_GLOBAL // 2, 1e30, dtype=np.float32)
    freqs[:HEAD_GLOBAL // 8] = 1.0  # a quarter of the global pairs rotate
    w.add_tensor("rope_freqs.weight", freqs)
    q8_0("token_embd.weight", VOCAB, D)
    f32("output_norm.weight", D)
    q8_0("per_layer_token_embd.weight", VOCAB, LAYERS * P)
    q8_0("per_layer_model_proj.weight", LAYERS * P, D)
    f32("per_layer_proj_norm.weight", P)
    for i in range(LAYERS):
        hd, b = HEAD_SLIDING if sliding[i] else HEAD_GLOBAL, f"blk.{i}."
        q8_0(b + "attn_q.weight", HEADS * hd, D)
        q8_0(b + "attn_output.weight", D, HEADS * hd)
        if i < LAYERS - SHARED:
            q8_0(b + "attn_k.weight", hd, D)
            q8_0(b + "attn_v.weight", hd, D)
            f32(b + "attn_k_norm.weight", hd)
        f32(b + "attn_q_norm.weight", hd)
        q8_0(b + "ffn_gate.weight", ff[i], D)
        q8_0(b + "ffn_up.weight", ff[i], D)
        q8_0(b + "ffn_down.weight", D, ff[i])
        for norm in ["attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm",
                     "post_norm"]:
            f32(b + norm + ".weight", D)
        f32(b + "layer_output_scale.weight", 1, 0.5)
        q8_0(b + "inp_gate.weight", P, D)
        q8_0(b + "proj.weight", D, P)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", default="/tmp/e2b", help="where the 4.9 GB file goes")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    model = os.path.join(args.dir, "e2b-shaped.q8_0.gguf")
    plan = os.path.join(args.dir, "e2b-shaped.plan")
    if not os.path.exists(model):
        write_e2b(model + ".partial", np.random.default_rng(1))
        os.rename(model + ".partial", model)
    print(f"{model}: {os.path.getsize(model) / 2**20:.0f} MiB, per-layer table "
          f"{VOCAB * LAYERS * P * 34 / 32 / 2**20:.0f} MiB", flush=True)
    subprocess.run([os.path.join(BIN, "gemma-compile"), model, "-o", plan,
                    "--prefill-buckets", "32", "--context", "1024"], check=True)
    subprocess.run([os.path.join(BIN, "gemma-exec"), plan, "--bench", "--bench-iters",
                    "2", "--max-tokens", "16", "--threads", str(args.threads)],
                   check=True)


if __name__ == "__main__":
    sys.exit(main())

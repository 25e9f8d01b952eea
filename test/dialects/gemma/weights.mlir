// Weights: every storage type, ranks 1-3, and the optional per-tensor scale.
// RUN: gemma-opt %s | FileCheck %s
// RUN: gemma-opt %s --mlir-print-op-generic | gemma-opt | FileCheck %s
// RUN: gemma-opt %s > %t.1 && gemma-opt %t.1 > %t.2 && diff %t.1 %t.2

// CHECK: gemma.param @c_embedding : !gemma.weight<[256, 64], bf16>
gemma.param @c_embedding : !gemma.weight<[256, 64], bf16>
// CHECK: gemma.param @c_final_norm : !gemma.weight<[64], f32>
gemma.param @c_final_norm : !gemma.weight<[64], f32>
// CHECK: gemma.param @blk0.qkv : !gemma.weight<[128, 64], sfp> {scale = 1.250000e+00 : f32}
gemma.param @blk0.qkv : !gemma.weight<[128, 64], sfp> {scale = 1.25 : f32}
// CHECK: gemma.param @blk0.linear : !gemma.weight<[64, 128], nuq>
gemma.param @blk0.linear : !gemma.weight<[64, 128], nuq>
// CHECK: gemma.param @blk0.gating : !gemma.weight<[256, 64], i8>
gemma.param @blk0.gating : !gemma.weight<[256, 64], i8>
// GGUF block types: rows are whole blocks of 32 (256 for _k).
// CHECK: gemma.param @token_embd : !gemma.weight<[256, 640], q8_0>
gemma.param @token_embd : !gemma.weight<[256, 640], q8_0>
// CHECK: gemma.param @attn_q : !gemma.weight<[1024, 640], q5_0>
gemma.param @attn_q : !gemma.weight<[1024, 640], q5_0>
// CHECK: gemma.param @attn_output : !gemma.weight<[640, 1024], q4_k>
gemma.param @attn_output : !gemma.weight<[640, 1024], q4_k>
// CHECK: gemma.param @ffn_down : !gemma.weight<[640, 2048], q6_k>
gemma.param @ffn_down : !gemma.weight<[640, 2048], q6_k>
// CHECK: gemma.param @others : !gemma.weight<[4, 256], q2_k>
gemma.param @others : !gemma.weight<[4, 256], q2_k>
// CHECK: gemma.param @more : !gemma.weight<[4, 32], q4_1>
gemma.param @more : !gemma.weight<[4, 32], q4_1>
// CHECK: gemma.param @half : !gemma.weight<[4, 3], f16>
gemma.param @half : !gemma.weight<[4, 3], f16>
// CHECK: gemma.param @blk0.layer_scalar : !gemma.weight<[1, 1], f32>
gemma.param @blk0.layer_scalar : !gemma.weight<[1, 1], f32>
// MoE expert stacks are rank 3.
// CHECK: gemma.param @blk0.experts_down : !gemma.weight<[8, 64, 16], bf16>
gemma.param @blk0.experts_down : !gemma.weight<[8, 64, 16], bf16>

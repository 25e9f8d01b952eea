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
// CHECK: gemma.param @blk0.layer_scalar : !gemma.weight<[1, 1], f32>
gemma.param @blk0.layer_scalar : !gemma.weight<[1, 1], f32>
// MoE expert stacks are rank 3.
// CHECK: gemma.param @blk0.experts_down : !gemma.weight<[8, 64, 16], bf16>
gemma.param @blk0.experts_down : !gemma.weight<[8, 64, 16], bf16>

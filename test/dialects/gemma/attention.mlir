// Attention: RoPE (full, linear-scaled, proportional), KV writes for prefill
// and batched decode, scores, soft-cap, window and causal masks, softmax and
// the value sum, with GQA (4 query heads on 2 KV heads).
// RUN: gemma-opt %s | FileCheck %s
// RUN: gemma-opt %s --mlir-print-op-generic | gemma-opt | FileCheck %s
// RUN: gemma-opt %s > %t.1 && gemma-opt %t.1 > %t.2 && diff %t.1 %t.2

// CHECK-LABEL: func.func @rope
// CHECK: gemma.rope %arg0, %arg1 base(1.000000e+04) : tensor<3x4x16xf32>, tensor<3xi32>
// CHECK: gemma.rope %arg0, %arg1 base(1.000000e+06) scale(8.000000e+00) : tensor<3x4x16xf32>, tensor<3xi32>
// CHECK: gemma.rope %arg2, %arg1 base(1.000000e+06) fraction(2.500000e-01) : tensor<3x1x32xf32>, tensor<3xi32>
func.func @rope(%q: tensor<3x4x16xf32>, %pos: tensor<3xi32>, %k: tensor<3x1x32xf32>) -> (tensor<3x4x16xf32>, tensor<3x4x16xf32>, tensor<3x1x32xf32>) {
  %local = gemma.rope %q, %pos base(10000.0) : tensor<3x4x16xf32>, tensor<3xi32>
  %linear = gemma.rope %q, %pos base(1.0e6) scale(8.0) : tensor<3x4x16xf32>, tensor<3xi32>
  %prop = gemma.rope %k, %pos base(1.0e6) fraction(0.25) : tensor<3x1x32xf32>, tensor<3xi32>
  return %local, %linear, %prop : tensor<3x4x16xf32>, tensor<3x4x16xf32>, tensor<3x1x32xf32>
}

// The default scale and fraction (1.0) are not printed.
// CHECK-LABEL: func.func @rope_defaults
// CHECK: gemma.rope %arg0, %arg1 base(1.000000e+04) : tensor<1x1x8xf32>, tensor<1xi32>
// CHECK-NOT: scale(
func.func @rope_defaults(%q: tensor<1x1x8xf32>, %pos: tensor<1xi32>) -> tensor<1x1x8xf32> {
  %r = gemma.rope %q, %pos base(10000.0) scale(1.0) fraction(1.0) : tensor<1x1x8xf32>, tensor<1xi32>
  return %r : tensor<1x1x8xf32>
}

// A 3-token prefill chunk into a one-sequence cache of 8 slots; sliding layer
// with attention soft-cap (Gemma 2).
// CHECK-LABEL: func.func @prefill_sliding
// CHECK: %[[KC:.+]] = gemma.kv_write %arg1 into %arg3 at %arg5 : tensor<3x2x16xf32> into tensor<1x8x2x16xf32>, tensor<3xi32>
// CHECK: %[[VC:.+]] = gemma.kv_write %arg2 into %arg4 at %arg5 : tensor<3x2x16xf32> into tensor<1x8x2x16xf32>, tensor<3xi32>
// CHECK: %[[S:.+]] = gemma.attn_scores %arg0, %[[KC]] scale(2.500000e-01) : tensor<3x4x16xf32>, tensor<1x8x2x16xf32> -> tensor<3x4x8xf32>
// CHECK: %[[C:.+]] = gemma.softcap %[[S]] cap(5.000000e+01) : tensor<3x4x8xf32>
// CHECK: %[[M:.+]] = gemma.window_mask %[[C]], %arg5 window(4) : tensor<3x4x8xf32>, tensor<3xi32>
// CHECK: %[[P:.+]] = gemma.softmax %[[M]] : tensor<3x4x8xf32>
// CHECK: gemma.attn_values %[[P]], %[[VC]] : tensor<3x4x8xf32>, tensor<1x8x2x16xf32> -> tensor<3x4x16xf32>
func.func @prefill_sliding(%q: tensor<3x4x16xf32>, %k: tensor<3x2x16xf32>, %v: tensor<3x2x16xf32>,
                           %kc: tensor<1x8x2x16xf32>, %vc: tensor<1x8x2x16xf32>, %pos: tensor<3xi32>) -> tensor<3x4x16xf32> {
  %kc1 = gemma.kv_write %k into %kc at %pos : tensor<3x2x16xf32> into tensor<1x8x2x16xf32>, tensor<3xi32>
  %vc1 = gemma.kv_write %v into %vc at %pos : tensor<3x2x16xf32> into tensor<1x8x2x16xf32>, tensor<3xi32>
  %s = gemma.attn_scores %q, %kc1 scale(0.25) : tensor<3x4x16xf32>, tensor<1x8x2x16xf32> -> tensor<3x4x8xf32>
  %c = gemma.softcap %s cap(50.0) : tensor<3x4x8xf32>
  %m = gemma.window_mask %c, %pos window(4) : tensor<3x4x8xf32>, tensor<3xi32>
  %p = gemma.softmax %m : tensor<3x4x8xf32>
  %o = gemma.attn_values %p, %vc1 : tensor<3x4x8xf32>, tensor<1x8x2x16xf32> -> tensor<3x4x16xf32>
  return %o : tensor<3x4x16xf32>
}

// Batched decode: 2 sequences, one token each, global (causal) layer.
// CHECK-LABEL: func.func @decode_global
// CHECK: gemma.kv_write %arg1 into %arg2 at %arg3 : tensor<2x2x16xf32> into tensor<2x8x2x16xf32>, tensor<2xi32>
// CHECK: gemma.window_mask %{{.*}}, %arg3 : tensor<2x4x8xf32>, tensor<2xi32>
// CHECK-NOT: window(
func.func @decode_global(%q: tensor<2x4x16xf32>, %k: tensor<2x2x16xf32>, %kc: tensor<2x8x2x16xf32>, %pos: tensor<2xi32>) -> tensor<2x4x16xf32> {
  %kc1 = gemma.kv_write %k into %kc at %pos : tensor<2x2x16xf32> into tensor<2x8x2x16xf32>, tensor<2xi32>
  %s = gemma.attn_scores %q, %kc1 scale(1.0) : tensor<2x4x16xf32>, tensor<2x8x2x16xf32> -> tensor<2x4x8xf32>
  %m = gemma.window_mask %s, %pos : tensor<2x4x8xf32>, tensor<2xi32>
  %p = gemma.softmax %m : tensor<2x4x8xf32>
  %o = gemma.attn_values %p, %kc1 : tensor<2x4x8xf32>, tensor<2x8x2x16xf32> -> tensor<2x4x16xf32>
  return %o : tensor<2x4x16xf32>
}

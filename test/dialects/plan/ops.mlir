// RUN: gemma-opt %s | FileCheck %s
// RUN: gemma-opt %s | gemma-opt | FileCheck %s
// RUN: gemma-opt %s --mlir-print-op-generic | gemma-opt | FileCheck %s

// The plan dialect prints what it parses: buffers, views, unplaced allocs
// and kernel calls with weights, ints and reals, each optional.

// CHECK-LABEL: func.func @decode_1
// CHECK-SAME: (%[[IDS:.*]]: !plan.buffer<1, i32>, %[[POS:.*]]: !plan.buffer<1, i32>, %[[K:.*]]: !plan.buffer<256, f32>)
// CHECK-SAME: -> (!plan.buffer<64, f32>, !plan.buffer<256, f32>)
// CHECK-SAME: attributes {plan.arena_size = 128 : i64}
// CHECK: %[[X:.*]] = plan.view [0] : !plan.buffer<64, f32>
// CHECK: plan.call embed(%[[IDS]], %[[X]]) weights ["embedding"] ints [1, 64] reals [8.000000e+00] : !plan.buffer<1, i32>, !plan.buffer<64, f32>
// CHECK: %[[Y:.*]] = plan.view [64] : !plan.buffer<64, f32>
// CHECK: plan.call rms_norm(%[[X]], %[[Y]]) weights [""] ints [1, 64, 0] reals [9.9999999999999995E-7]
// CHECK: plan.call kv_write(%[[Y]], %[[POS]], %[[K]]) ints [1, 4, 64, 1] : !plan.buffer<64, f32>, !plan.buffer<1, i32>, !plan.buffer<256, f32>
// CHECK: plan.call unary(%[[Y]], %[[X]]) weights [""] ints [64, 0] reals [0.000000e+00] : !plan.buffer<64, f32>, !plan.buffer<64, f32>
// CHECK: return %[[X]], %[[K]]
func.func @decode_1(%ids: !plan.buffer<1, i32>, %pos: !plan.buffer<1, i32>,
                    %k: !plan.buffer<256, f32>)
    -> (!plan.buffer<64, f32>, !plan.buffer<256, f32>)
    attributes {plan.arena_size = 128 : i64} {
  %x = plan.view [0] : !plan.buffer<64, f32>
  plan.call embed(%ids, %x) weights ["embedding"] ints [1, 64] reals [8.0]
      : !plan.buffer<1, i32>, !plan.buffer<64, f32>
  %y = plan.view [64] : !plan.buffer<64, f32>
  plan.call rms_norm(%x, %y) weights [""] ints [1, 64, 0] reals [1.0e-6]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  plan.call kv_write(%y, %pos, %k) ints [1, 4, 64, 1]
      : !plan.buffer<64, f32>, !plan.buffer<1, i32>, !plan.buffer<256, f32>
  plan.call unary(%y, %x) weights [""] ints [64, 0] reals [0.0]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  return %x, %k : !plan.buffer<64, f32>, !plan.buffer<256, f32>
}

// An unplaced function: allocs instead of views, no arena size yet.
// CHECK-LABEL: func.func @unplaced
// CHECK-NOT: plan.arena_size
// CHECK: %[[A:.*]] = plan.alloc : !plan.buffer<32, f32>
// CHECK: plan.call unary(%arg0, %[[A]]) weights [""] ints [32, 1] reals [3.000000e+01]
func.func @unplaced(%x: !plan.buffer<32, f32>) -> !plan.buffer<32, f32> {
  %a = plan.alloc : !plan.buffer<32, f32>
  plan.call unary(%x, %a) weights [""] ints [32, 1] reals [30.0]
      : !plan.buffer<32, f32>, !plan.buffer<32, f32>
  return %a : !plan.buffer<32, f32>
}

// Every kernel name parses and prints (one per call; shapes are minimal).
// CHECK-LABEL: func.func @kernels
// CHECK: plan.call matmul(
// CHECK: plan.call matmul_heads(
// CHECK: plan.call unary(
// CHECK: plan.call rope(
// CHECK: plan.call attn_scores(
// CHECK: plan.call window_mask(
// CHECK: plan.call softmax(
// CHECK: plan.call attn_values(
// CHECK: plan.call binary(
// CHECK: plan.call binary(
// CHECK: plan.call logits(
// CHECK: plan.call attention(
// CHECK: plan.call geglu(
// CHECK: plan.call residual_norm(
// CHECK: plan.call norm_matmul(
// CHECK: plan.call qkv_rope(
func.func @kernels(%pos: !plan.buffer<1, i32>, %a: !plan.buffer<64, f32>,
                   %b: !plan.buffer<64, f32>, %c: !plan.buffer<64, f32>,
                   %d: !plan.buffer<64, f32>, %e: !plan.buffer<64, f32>,
                   %f: !plan.buffer<64, f32>, %g: !plan.buffer<64, f32>) {
  plan.call matmul(%a, %b) weights ["w"] ints [1, 8, 8, 0]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  plan.call matmul_heads(%a, %b) weights ["w"] ints [1, 2, 4, 8]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  plan.call unary(%a, %b) weights [""] ints [64, 3] reals [2.0]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  plan.call rope(%a, %pos, %b) ints [1, 2, 8] reals [1.0e4, 1.0, 1.0]
      : !plan.buffer<64, f32>, !plan.buffer<1, i32>, !plan.buffer<64, f32>
  plan.call attn_scores(%a, %b, %c) ints [1, 2, 8, 1, 4, 1, 8] reals [0.35]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>, !plan.buffer<64, f32>
  plan.call window_mask(%a, %pos, %b) ints [1, 2, 4, 0]
      : !plan.buffer<64, f32>, !plan.buffer<1, i32>, !plan.buffer<64, f32>
  plan.call softmax(%a, %b) ints [2, 4]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  plan.call attn_values(%a, %b, %c) ints [1, 2, 8, 1, 4, 1, 8]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>, !plan.buffer<64, f32>
  plan.call binary(%a, %b, %c) ints [64, 0]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>, !plan.buffer<64, f32>
  plan.call binary(%a, %b, %c) ints [64, 1]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>, !plan.buffer<64, f32>
  plan.call logits(%a, %b) weights ["table"] ints [1, 8, 32] reals [30.0]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  plan.call attention(%a, %b, %c, %pos, %d) ints [1, 2, 8, 1, 4, 1, 8, 0]
      reals [0.35, 0.0]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>, !plan.buffer<64, f32>,
        !plan.buffer<1, i32>, !plan.buffer<64, f32>
  plan.call geglu(%a, %b, %c) weights ["gate", "up"] ints [1, 8, 16, 0, 0]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>, !plan.buffer<64, f32>
  plan.call residual_norm(%a, %b, %c, %d) weights ["n"] ints [1, 64, 1]
      reals [1.0e-6]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>, !plan.buffer<64, f32>,
        !plan.buffer<64, f32>
  plan.call norm_matmul(%a, %b, %c) weights ["n", "w"] ints [1, 8, 8, 8, 1, 0]
      reals [1.0e-6]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>, !plan.buffer<64, f32>
  plan.call qkv_rope(%a, %pos, %b, %c, %d, %e, %f)
      weights ["q", "k", "v", "", ""]
      ints [1, 8, 2, 4, 1, 4, 1, 1, 4, 1, 4, 0, 0, 0, 0, 0]
      reals [1.0e-6, 1.0e4, 1.0, 1.0]
      : !plan.buffer<64, f32>, !plan.buffer<1, i32>, !plan.buffer<64, f32>,
        !plan.buffer<64, f32>, !plan.buffer<64, f32>, !plan.buffer<64, f32>,
        !plan.buffer<64, f32>
  return
}

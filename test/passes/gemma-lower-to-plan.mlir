// RUN: gemma-opt %s --split-input-file --gemma-lower-to-plan --verify-diagnostics | FileCheck %s

// Each gemma op becomes one plan.call with its static parameters; tensors
// become buffers of as many elements; intermediates are unplaced allocs;
// the weights' gemma.params go (calls name weights by string).

gemma.param @c_embedding : !gemma.weight<[256, 64], bf16>
gemma.param @pre_att_ns : !gemma.weight<[64], f32>
gemma.param @qkv : !gemma.weight<[96, 64], sfp>

// CHECK-NOT: gemma.param
// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[IDS:.*]]: !plan.buffer<3, i32>) -> !plan.buffer<96, f32>
// CHECK: %[[X:.*]] = plan.alloc : !plan.buffer<192, f32>
// CHECK: plan.call embed(%[[IDS]], %[[X]]) weights ["c_embedding"] ints [3, 64] reals [8.000000e+00]
// CHECK: %[[N:.*]] = plan.alloc : !plan.buffer<192, f32>
// CHECK: plan.call rms_norm(%[[X]], %[[N]]) weights ["pre_att_ns"] ints [3, 64, 1] reals [9.9999999747524271E-7]
// CHECK: %[[Q:.*]] = plan.alloc : !plan.buffer<96, f32>
// CHECK: plan.call matmul(%[[N]], %[[Q]]) weights ["qkv"] ints [3, 64, 32, 1, 0, 32]
// CHECK: return %[[Q]] : !plan.buffer<96, f32>
// CHECK-NOT: gemma.
func.func @chain(%ids: tensor<3xi32>) -> tensor<3x32xf32> {
  %x = gemma.embed %ids, @c_embedding scale(8.0) : tensor<3xi32> -> tensor<3x64xf32>
  %n = gemma.rms_norm %x, @pre_att_ns plus_one eps(1.0e-6) : tensor<3x64xf32>
  %q = gemma.matmul %n, @qkv rows [0, 32] : tensor<3x64xf32> -> tensor<3x32xf32>
  return %q : tensor<3x32xf32>
}

// A KV write updates its cache argument in place: the call writes the
// argument's buffer, which the function returns.
// CHECK-LABEL: func.func @cache
// CHECK-SAME: (%[[K:.*]]: !plan.buffer<32, f32>, %[[C:.*]]: !plan.buffer<256, f32>, %[[P:.*]]: !plan.buffer<1, i32>) -> !plan.buffer<256, f32>
// CHECK: plan.call kv_write(%[[K]], %[[P]], %[[C]]) ints [1, 8, 32, 1]
// CHECK-NOT: plan.alloc
// CHECK: return %[[C]]
func.func @cache(%k: tensor<1x2x16xf32>, %c: tensor<1x8x2x16xf32>, %p: tensor<1xi32>) -> tensor<1x8x2x16xf32> {
  %c1 = gemma.kv_write %k into %c at %p : tensor<1x2x16xf32> into tensor<1x8x2x16xf32>, tensor<1xi32>
  return %c1 : tensor<1x8x2x16xf32>
}

// Fused kernels get their scratch as one more alloc.
// CHECK-LABEL: func.func @geglu
// CHECK: %[[OUT:.*]] = plan.alloc : !plan.buffer<256, f32>
// CHECK: %[[SCRATCH:.*]] = plan.alloc : !plan.buffer<256, f32>
// CHECK: plan.call geglu(%arg0, %[[OUT]], %[[SCRATCH]]) weights ["gate", "up"] ints [2, 64, 128, 0, 0]
gemma.param @gate : !gemma.weight<[128, 64], f32>
gemma.param @up : !gemma.weight<[128, 64], f32>
func.func @geglu(%x: tensor<2x64xf32>) -> tensor<2x128xf32> {
  %y = gemma.fused_geglu %x, gate @gate, up @up : tensor<2x64xf32> -> tensor<2x128xf32>
  return %y : tensor<2x128xf32>
}

// The elementwise family is two kernels, by arity: the function's row of
// its table (kernels/common/ElementwiseFunctions.h) is the call's second
// int, a unary function's parameter its real (or its one optional weight,
// a learned scalar: gemma.scale by a weight).
// CHECK-LABEL: func.func @unary
// CHECK: plan.call unary(%arg0, %{{.*}}) weights [""] ints [6, 0] reals [0.000000e+00]
// CHECK: plan.call unary(%{{.*}}, %{{.*}}) weights [""] ints [6, 1] reals [3.000000e+01]
// CHECK: plan.call unary(%{{.*}}, %{{.*}}) weights [""] ints [6, 2] reals [0.000000e+00]
// CHECK: plan.call unary(%{{.*}}, %{{.*}}) weights [""] ints [6, 3] reals [2.500000e-01]
// CHECK: plan.call unary(%{{.*}}, %{{.*}}) weights ["s"] ints [6, 3] reals [0.000000e+00]
// CHECK: plan.call unary(%{{.*}}, %{{.*}}) weights [""] ints [6, 4] reals [0.000000e+00]
// CHECK: plan.call binary(%{{.*}}, %arg0, %{{.*}}) ints [6, 0]
// CHECK: plan.call binary(%{{.*}}, %{{.*}}, %{{.*}}) ints [6, 1]
gemma.param @s : !gemma.weight<[1], f32>
func.func @unary(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a = gemma.gelu_tanh %x : tensor<2x3xf32>
  %b = gemma.softcap %a cap(30.0) : tensor<2x3xf32>
  %c = gemma.gelu_erf %b : tensor<2x3xf32>
  %d = gemma.scale %c factor(0.25) : tensor<2x3xf32>
  %e0 = gemma.scale %d by @s : tensor<2x3xf32>
  %e = gemma.silu %e0 : tensor<2x3xf32>
  %f = gemma.add %e, %x : tensor<2x3xf32>
  %g = gemma.mul %f, %e : tensor<2x3xf32>
  return %g : tensor<2x3xf32>
}

// -----

// Negative: no kernel computes argmax (the runtime's sampler picks ids from
// the logits), so the lowering fails naming the op and its function.
gemma.param @c_embedding : !gemma.weight<[256, 64], bf16>
func.func @argmax(%h: tensor<1x64xf32>) -> tensor<1xi32> {
  %l = gemma.logits %h, @c_embedding : tensor<1x64xf32> -> tensor<1x256xf32>
  // expected-error @+1 {{'gemma.argmax' op in @argmax has no kernel to run it}}
  %i = gemma.argmax %l : tensor<1x256xf32> -> tensor<1xi32>
  return %i : tensor<1xi32>
}

// -----

// Negative: a cache that is read after the write cannot be updated in
// place.
func.func @reread(%k: tensor<1x2x16xf32>, %c: tensor<1x8x2x16xf32>, %p: tensor<1xi32>) -> (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>) {
  // expected-error @+1 {{'gemma.kv_write' op in @reread updates a KV cache in place: the cache must be a function argument with no other reader}}
  %c1 = gemma.kv_write %k into %c at %p : tensor<1x2x16xf32> into tensor<1x8x2x16xf32>, tensor<1xi32>
  return %c1, %c : tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>
}

// -----

// Negative: the image encoder's ops have no plan kernel yet
// (docs/vision.md), so the lowering names the first one it meets.
func.func @pool(%x: tensor<36x8xf32>) -> tensor<9x8xf32> {
  // expected-error @+1 {{'gemma.avg_pool' op in @pool has no kernel to run it}}
  %t = gemma.avg_pool %x grid [6, 6] kernel(2) : tensor<36x8xf32> -> tensor<9x8xf32>
  return %t : tensor<9x8xf32>
}

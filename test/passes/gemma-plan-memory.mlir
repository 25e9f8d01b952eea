// RUN: gemma-opt %s --gemma-plan-memory | FileCheck %s

// A chain: each value is read once by the next op. %a dies at %b, so %c
// takes %a's offset; %b dies at %c, so %d takes %b's. 2 x 64 floats at
// most are alive: the arena holds 2 x 256 bytes.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: gemma.arena_bytes = 512 : i64
// CHECK: gemma.gelu_tanh %arg0 {gemma.arena_offsets = array<i64: 0>}
// CHECK: gemma.gelu_tanh %{{.*}} {gemma.arena_offsets = array<i64: 256>}
// CHECK: gemma.gelu_tanh %{{.*}} {gemma.arena_offsets = array<i64: 0>}
// CHECK: gemma.gelu_tanh %{{.*}} {gemma.arena_offsets = array<i64: 256>}
func.func @chain(%x: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %a = gemma.gelu_tanh %x : tensor<1x64xf32>
  %b = gemma.gelu_tanh %a : tensor<1x64xf32>
  %c = gemma.gelu_tanh %b : tensor<1x64xf32>
  %d = gemma.gelu_tanh %c : tensor<1x64xf32>
  return %d : tensor<1x64xf32>
}

// A value that is read later (the residual) keeps its offset while others
// come and go; a returned value is never reused.
// CHECK-LABEL: func.func @residual
// CHECK-SAME: gemma.arena_bytes = 768 : i64
// CHECK: gemma.gelu_tanh %arg0 {gemma.arena_offsets = array<i64: 0>}
// CHECK: gemma.gelu_tanh %{{.*}} {gemma.arena_offsets = array<i64: 256>}
// CHECK: gemma.gelu_tanh %{{.*}} {gemma.arena_offsets = array<i64: 512>}
// CHECK: gemma.add %{{.*}} {gemma.arena_offsets = array<i64: 256>}
func.func @residual(%x: tensor<1x64xf32>) -> (tensor<1x64xf32>, tensor<1x64xf32>) {
  %r = gemma.gelu_tanh %x : tensor<1x64xf32>
  %a = gemma.gelu_tanh %r : tensor<1x64xf32>
  %b = gemma.gelu_tanh %a : tensor<1x64xf32>
  %s = gemma.add %r, %b : tensor<1x64xf32>
  return %s, %r : tensor<1x64xf32>, tensor<1x64xf32>
}

// Cache writes live in their caches: no arena space.
// CHECK-LABEL: func.func @cache
// CHECK-SAME: gemma.arena_bytes = 0 : i64
// CHECK: gemma.kv_write %arg0 into %arg1 at %arg2 {gemma.arena_offsets = array<i64: -1>}
func.func @cache(%k: tensor<1x2x16xf32>, %kc: tensor<1x8x2x16xf32>, %pos: tensor<1xi32>) -> tensor<1x8x2x16xf32> {
  %kc1 = gemma.kv_write %k into %kc at %pos : tensor<1x2x16xf32> into tensor<1x8x2x16xf32>, tensor<1xi32>
  return %kc1 : tensor<1x8x2x16xf32>
}

// RUN: gemma-opt %s --plan-place-buffers | FileCheck %s
// RUN: gemma-opt %s --plan-place-buffers --plan-place-buffers | FileCheck %s

// A chain: each buffer is read once by the next call. %a is free after
// the second call, so %c takes its offset; %b is free after the third, so
// %d takes its. Two 64-element buffers at most are alive.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: plan.arena_size = 128 : i64
// CHECK: %[[A:.*]] = plan.view [0] : !plan.buffer<64, f32>
// CHECK: %[[B:.*]] = plan.view [64] : !plan.buffer<64, f32>
// CHECK: %[[C:.*]] = plan.view [0] : !plan.buffer<64, f32>
// CHECK: %[[D:.*]] = plan.view [64] : !plan.buffer<64, f32>
// CHECK-NOT: plan.alloc
// CHECK: return %[[D]]
func.func @chain(%x: !plan.buffer<64, f32>) -> !plan.buffer<64, f32> {
  %a = plan.alloc : !plan.buffer<64, f32>
  plan.call unary(%x, %a) weights [""] ints [64, 0] reals [0.0] : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  %b = plan.alloc : !plan.buffer<64, f32>
  plan.call unary(%a, %b) weights [""] ints [64, 0] reals [0.0] : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  %c = plan.alloc : !plan.buffer<64, f32>
  plan.call unary(%b, %c) weights [""] ints [64, 0] reals [0.0] : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  %d = plan.alloc : !plan.buffer<64, f32>
  plan.call unary(%c, %d) weights [""] ints [64, 0] reals [0.0] : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  return %d : !plan.buffer<64, f32>
}

// A buffer read later (the residual) keeps its offset while others come
// and go; a returned buffer is never reused; sizes round up to 16
// elements (64 bytes); a fused kernel's scratch is freed right after it.
// CHECK-LABEL: func.func @residual
// CHECK-SAME: plan.arena_size = 192 : i64
// CHECK: %[[R:.*]] = plan.view [0] : !plan.buffer<64, f32>
// CHECK: %[[A:.*]] = plan.view [64] : !plan.buffer<64, f32>
// CHECK: %[[S:.*]] = plan.view [128] : !plan.buffer<40, f32>
// CHECK: plan.call geglu(%[[R]], %[[A]], %[[S]])
// CHECK: %[[B:.*]] = plan.view [128] : !plan.buffer<64, f32>
// CHECK: %[[C:.*]] = plan.view [64] : !plan.buffer<64, f32>
// CHECK: plan.call binary(%[[R]], %[[B]], %[[C]])
// CHECK: return %[[R]], %[[C]]
func.func @residual(%x: !plan.buffer<64, f32>)
    -> (!plan.buffer<64, f32>, !plan.buffer<64, f32>) {
  %r = plan.alloc : !plan.buffer<64, f32>
  plan.call unary(%x, %r) weights [""] ints [64, 0] reals [0.0] : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  %a = plan.alloc : !plan.buffer<64, f32>
  %s = plan.alloc : !plan.buffer<40, f32>
  plan.call geglu(%r, %a, %s) weights ["gate", "up"] ints [1, 64, 40, 0, 0]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>, !plan.buffer<40, f32>
  %b = plan.alloc : !plan.buffer<64, f32>
  plan.call unary(%a, %b) weights [""] ints [64, 0] reals [0.0] : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  %c = plan.alloc : !plan.buffer<64, f32>
  plan.call binary(%r, %b, %c) ints [64, 0]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>, !plan.buffer<64, f32>
  return %r, %c : !plan.buffer<64, f32>, !plan.buffer<64, f32>
}

// Negative: a function placed before keeps its views and arena, and an
// unused alloc disappears.
// CHECK-LABEL: func.func @placed
// CHECK-SAME: plan.arena_size = 512 : i64
// CHECK: plan.view [256] : !plan.buffer<64, f32>
func.func @placed(%x: !plan.buffer<64, f32>) -> !plan.buffer<64, f32>
    attributes {plan.arena_size = 512 : i64} {
  %a = plan.view [256] : !plan.buffer<64, f32>
  plan.call unary(%x, %a) weights [""] ints [64, 0] reals [0.0] : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  return %a : !plan.buffer<64, f32>
}

// CHECK-LABEL: func.func @unused
// CHECK-SAME: plan.arena_size = 0 : i64
// CHECK-NOT: plan.alloc
// CHECK-NOT: plan.view
func.func @unused(%x: !plan.buffer<64, f32>) -> !plan.buffer<64, f32> {
  %a = plan.alloc : !plan.buffer<64, f32>
  return %x : !plan.buffer<64, f32>
}

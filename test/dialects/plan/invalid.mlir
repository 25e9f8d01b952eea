// RUN: gemma-opt %s --split-input-file --verify-diagnostics

// Verifier diagnostics of the plan dialect: BufferType, plan.call against
// its kernel's layout (runtime/plan/KernelParams.h), and the function's
// plan.arena_size.

// expected-error @+1 {{buffer must hold at least one element, got 0}}
func.func private @empty(!plan.buffer<0, f32>)

// -----

// expected-error @+1 {{buffer elements must be f32 or i32, got 'f16'}}
func.func private @half(!plan.buffer<8, f16>)

// -----

func.func @unknown_kernel(%a: !plan.buffer<8, f32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'kernel'}}
  plan.call conv2d(%a) : !plan.buffer<8, f32>
  return
}

// -----

// Too few buffers for the kernel.
func.func @operands(%a: !plan.buffer<8, f32>) {
  // expected-error @+1 {{expects 3 buffers, 0 weights, 2+ ints and 0 reals, got 2, 0, 2 and 0}}
  plan.call binary(%a, %a) ints [8, 0] : !plan.buffer<8, f32>, !plan.buffer<8, f32>
  return
}

// -----

// A missing weight name (the layout counts absent optional weights as "").
func.func @weights(%a: !plan.buffer<8, f32>) {
  // expected-error @+1 {{expects 2 buffers, 1 weights, 3+ ints and 1 reals, got 2, 0, 3 and 1}}
  plan.call rms_norm(%a, %a) ints [1, 8, 0] reals [1.0e-6]
      : !plan.buffer<8, f32>, !plan.buffer<8, f32>
  return
}

// -----

// The output holds fewer elements than the shapes write.
func.func @small(%a: !plan.buffer<64, f32>, %b: !plan.buffer<32, f32>) {
  // expected-error @+1 {{buffer 1 holds 32 elements, the call needs 64}}
  plan.call softmax(%a, %b) ints [4, 16]
      : !plan.buffer<64, f32>, !plan.buffer<32, f32>
  return
}

// -----

// Token ids must be i32.
func.func @ids(%ids: !plan.buffer<1, f32>, %x: !plan.buffer<64, f32>) {
  // expected-error @+1 {{buffer 0 must hold i32 elements}}
  plan.call embed(%ids, %x) weights ["e"] ints [1, 64] reals [1.0]
      : !plan.buffer<1, f32>, !plan.buffer<64, f32>
  return
}

// -----

// Activations must be f32.
func.func @activations(%a: !plan.buffer<8, i32>, %b: !plan.buffer<8, f32>) {
  // expected-error @+1 {{buffer 0 must hold f32 elements}}
  plan.call unary(%a, %b) weights [""] ints [8, 0] reals [0.0]
      : !plan.buffer<8, i32>, !plan.buffer<8, f32>
  return
}

// -----

// Row ranges must select as many rows as the matmul produces.
func.func @rows(%a: !plan.buffer<64, f32>, %b: !plan.buffer<64, f32>) {
  // expected-error @+1 {{inconsistent shape parameters}}
  plan.call matmul(%a, %b) weights ["w"] ints [1, 8, 8, 1, 0, 4]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  return
}

// -----

func.func @negative(%a: !plan.buffer<64, f32>, %b: !plan.buffer<64, f32>) {
  // expected-error @+1 {{negative parameter -8}}
  plan.call unary(%a, %b) weights [""] ints [-8, 0] reals [0.0]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  return
}

// -----

// A unary call names a row of the unary function table.
func.func @unknown_function(%a: !plan.buffer<64, f32>, %b: !plan.buffer<64, f32>) {
  // expected-error @+1 {{unknown unary function 9}}
  plan.call unary(%a, %b) weights [""] ints [64, 9] reals [0.0]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  return
}

// -----

// A code past the table is unknown however it would wrap to 32 bits.
func.func @wrapping_function(%a: !plan.buffer<64, f32>, %b: !plan.buffer<64, f32>) {
  // expected-error @+1 {{unknown unary function 4294967297}}
  plan.call unary(%a, %b) weights [""] ints [64, 4294967297] reals [0.0]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  return
}

// -----

// ... and carries its parameter (0 for none).
func.func @no_parameter(%a: !plan.buffer<64, f32>, %b: !plan.buffer<64, f32>) {
  // expected-error @+1 {{expects 2 buffers, 1 weights, 2+ ints and 1 reals, got 2, 1, 2 and 0}}
  plan.call unary(%a, %b) weights [""] ints [64, 0]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  return
}

// -----

func.func @offset() {
  // expected-error @+1 {{attribute 'offset' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %a = plan.view [-16] : !plan.buffer<8, f32>
  return
}

// -----

// A view past the arena the function declares.
func.func @arena() attributes {plan.arena_size = 64 : i64} {
  // expected-error @+1 {{ends at element 80, past the arena of 64}}
  %a = plan.view [16] : !plan.buffer<64, f32>
  return
}

// -----

// expected-error @+1 {{'plan.arena_size' must be a non-negative integer on a function}}
func.func @size() attributes {plan.arena_size = "big"} {
  return
}

// -----

// expected-error @+1 {{unknown plan attribute 'plan.arena'}}
func.func @name() attributes {plan.arena = 4 : i64} {
  return
}

// -----

// What the shapes cannot say is checked once for every backend: a weighted
// norm names its weight.
func.func @norm_weight(%a: !plan.buffer<64, f32>, %b: !plan.buffer<64, f32>) {
  // expected-error @+1 {{a weighted norm without a weight}}
  plan.call rms_norm(%a, %b) weights [""] ints [1, 64, 1] reals [1.0e-06]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  return
}

// -----

// A matmul's weight is required.
func.func @matmul_weight(%a: !plan.buffer<64, f32>, %b: !plan.buffer<64, f32>) {
  // expected-error @+1 {{weight 0 is required}}
  plan.call matmul(%a, %b) weights [""] ints [1, 64, 1, 0]
      : !plan.buffer<64, f32>, !plan.buffer<64, f32>
  return
}

// -----

// Query heads come in whole groups per key/value head.
func.func @groups(%q: !plan.buffer<96, f32>, %k: !plan.buffer<64, f32>, %s: !plan.buffer<48, f32>) {
  // expected-error @+1 {{an attention geometry without whole query groups}}
  plan.call attn_scores(%q, %k, %s) ints [1, 3, 32, 1, 16, 2, 32] reals [1.0]
      : !plan.buffer<96, f32>, !plan.buffer<64, f32>, !plan.buffer<48, f32>
  return
}

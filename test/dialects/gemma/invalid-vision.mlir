// RUN: gemma-opt %s --split-input-file --verify-diagnostics

// Verifier diagnostics of the image encoder's ops
// (dialects/gemma/GemmaVisionOps.cpp): one case per rule.

gemma.param @w : !gemma.weight<[48], f32>
gemma.param @b : !gemma.weight<[32], f32>
func.func @layer_norm_bias_width(%x: tensor<4x48xf32>) -> tensor<4x48xf32> {
  // expected-error @+1 {{expects a norm weight of 48 elements ([48] or [1, 48]), got '!gemma.weight<[32], f32>'}}
  %y = gemma.layer_norm %x, @w, @b eps(1.0e-6) : tensor<4x48xf32>
  return %y : tensor<4x48xf32>
}

// -----

gemma.param @w : !gemma.weight<[48], f32>
func.func @layer_norm_epsilon(%x: tensor<4x48xf32>) -> tensor<4x48xf32> {
  // expected-error @+1 {{expects epsilon to be finite and positive, got 0}}
  %y = gemma.layer_norm %x, @w, @w eps(0.0) : tensor<4x48xf32>
  return %y : tensor<4x48xf32>
}

// -----

func.func @layer_norm_missing_weight(%x: tensor<4x48xf32>) -> tensor<4x48xf32> {
  // expected-error @+1 {{weight @nowhere does not name a gemma.param}}
  %y = gemma.layer_norm %x, @nowhere, @nowhere eps(1.0e-6) : tensor<4x48xf32>
  return %y : tensor<4x48xf32>
}

// -----

gemma.param @position : !gemma.weight<[36, 48], f32>
func.func @add_weight_rows(%x: tensor<4x48xf32>) -> tensor<4x48xf32> {
  // expected-error @+1 {{expects a weight of [48], [1, 48] or [4, 48] for an input of 'tensor<4x48xf32>', got '!gemma.weight<[36, 48], f32>'}}
  %y = gemma.add_weight %x, @position : tensor<4x48xf32>
  return %y : tensor<4x48xf32>
}

// -----

gemma.param @bias : !gemma.weight<[1, 47], f32>
func.func @add_weight_width(%x: tensor<4x4x12xf32>) -> tensor<4x4x12xf32> {
  // expected-error @+1 {{expects a weight of [48], [1, 48] or [4, 48]}}
  %y = gemma.add_weight %x, @bias : tensor<4x4x12xf32>
  return %y : tensor<4x4x12xf32>
}

// -----

func.func @full_attention_rank(%q: tensor<4x48xf32>) -> tensor<4x48xf32> {
  // expected-error @+1 {{expects query of rank 3 ([N, H, D]), got rank 2}}
  %o = gemma.full_attention %q, %q, %q scale(0.125) : tensor<4x48xf32>
  return %o : tensor<4x48xf32>
}

// -----

func.func @full_attention_scale(%q: tensor<4x2x8xf32>) -> tensor<4x2x8xf32> {
  // expected-error @+1 {{expects scale to be finite and positive, got -1}}
  %o = gemma.full_attention %q, %q, %q scale(-1.0) : tensor<4x2x8xf32>
  return %o : tensor<4x2x8xf32>
}

// -----

func.func @full_attention_types(%q: tensor<4x2x8xf32>, %k: tensor<3x2x8xf32>) -> tensor<4x2x8xf32> {
  // expected-error @+1 {{all of {query, keys, values, result} have same type}}
  %o = "gemma.full_attention"(%q, %k, %q) {scale = 0.125 : f32} : (tensor<4x2x8xf32>, tensor<3x2x8xf32>, tensor<4x2x8xf32>) -> tensor<4x2x8xf32>
  return %o : tensor<4x2x8xf32>
}

// -----

func.func @avg_pool_kernel(%x: tensor<36x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{expects kernel(4) to divide the grid [6, 6]}}
  %t = gemma.avg_pool %x grid [6, 6] kernel(4) : tensor<36x8xf32> -> tensor<4x8xf32>
  return %t : tensor<4x8xf32>
}

// -----

func.func @avg_pool_rows(%x: tensor<35x8xf32>) -> tensor<9x8xf32> {
  // expected-error @+1 {{expects 36 input rows for grid [6, 6], got 35}}
  %t = gemma.avg_pool %x grid [6, 6] kernel(2) : tensor<35x8xf32> -> tensor<9x8xf32>
  return %t : tensor<9x8xf32>
}

// -----

func.func @avg_pool_result(%x: tensor<36x8xf32>) -> tensor<9x4xf32> {
  // expected-error @+1 {{expects result of shape [9, 8], got [9, 4]}}
  %t = gemma.avg_pool %x grid [6, 6] kernel(2) : tensor<36x8xf32> -> tensor<9x4xf32>
  return %t : tensor<9x4xf32>
}

// -----

func.func @avg_pool_grid(%x: tensor<36x8xf32>) -> tensor<9x8xf32> {
  // expected-error @+1 {{expects grid [R, C] of positive sizes}}
  %t = gemma.avg_pool %x grid [36] kernel(2) : tensor<36x8xf32> -> tensor<9x8xf32>
  return %t : tensor<9x8xf32>
}

// -----

func.func @replace_rows_ids(%x: tensor<4x8xf32>, %ids: tensor<3xi32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{expects one position per row (4), got 3}}
  %y = gemma.replace_rows %x, %x, %ids token(7) : tensor<4x8xf32>, tensor<3xi32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @replace_rows_rank(%x: tensor<4x2x4xf32>, %ids: tensor<4xi32>) -> tensor<4x2x4xf32> {
  // expected-error @+1 {{expects input of rank 2 ([N, D]), got rank 3}}
  %y = gemma.replace_rows %x, %x, %ids token(7) : tensor<4x2x4xf32>, tensor<4xi32>
  return %y : tensor<4x2x4xf32>
}

// -----

func.func @image_mask_window(%s: tensor<4x2x8xf32>, %p: tensor<4xi32>) -> tensor<4x2x8xf32> {
  // expected-error @+1 {{expects a positive window, got 0}}
  %m = gemma.image_mask %s, %p, %p window(0) : tensor<4x2x8xf32>, tensor<4xi32>
  return %m : tensor<4x2x8xf32>
}

// -----

func.func @image_mask_rows(%s: tensor<4x2x8xf32>, %p: tensor<3xi32>) -> tensor<4x2x8xf32> {
  // expected-error @+1 {{expects one position per row (4), got 3}}
  %m = gemma.image_mask %s, %p, %p window(2) : tensor<4x2x8xf32>, tensor<3xi32>
  return %m : tensor<4x2x8xf32>
}

// The image encoder's ops: LayerNorm with a bias, a stored tensor added to
// every row or row by row, attention without a mask, and average pooling of
// a patch grid; one SigLIP layer and Gemma 3's projector put together.
// RUN: gemma-opt %s | FileCheck %s
// RUN: gemma-opt %s --mlir-print-op-generic | gemma-opt | FileCheck %s
// RUN: gemma-opt %s > %t.1 && gemma-opt %t.1 > %t.2 && diff %t.1 %t.2

gemma.param @patch : !gemma.weight<[48, 147], f32>
gemma.param @patch_bias : !gemma.weight<[1, 48], f32>
gemma.param @position : !gemma.weight<[36, 48], bf16>
gemma.param @ln_w : !gemma.weight<[48], f32>
gemma.param @ln_b : !gemma.weight<[1, 48], f32>
gemma.param @q : !gemma.weight<[48, 48], f32>
gemma.param @q_bias : !gemma.weight<[48], f32>
gemma.param @soft_norm : !gemma.weight<[48], f32>
gemma.param @projection : !gemma.weight<[32, 48], f32>

// CHECK-LABEL: func.func @encoder
// CHECK: gemma.matmul %{{.*}}, @patch : tensor<36x147xf32> -> tensor<36x48xf32>
// CHECK: gemma.add_weight %{{.*}}, @patch_bias : tensor<36x48xf32>
// CHECK: gemma.add_weight %{{.*}}, @position : tensor<36x48xf32>
// CHECK: gemma.layer_norm %{{.*}}, @ln_w, @ln_b eps(9.99999997E-7) : tensor<36x48xf32>
// CHECK: gemma.add_weight %{{.*}}, @q_bias : tensor<36x4x12xf32>
// CHECK: gemma.full_attention %{{.*}}, %{{.*}}, %{{.*}} scale(0.288675129) : tensor<36x4x12xf32>
// CHECK: gemma.avg_pool %{{.*}} grid [6, 6] kernel(2) : tensor<36x48xf32> -> tensor<9x48xf32>
// CHECK: gemma.rms_norm %{{.*}}, @soft_norm plus_one eps(9.99999997E-7) : tensor<9x48xf32>
// CHECK: gemma.matmul %{{.*}}, @projection : tensor<9x48xf32> -> tensor<9x32xf32>
func.func @encoder(%patches: tensor<36x147xf32>) -> tensor<9x32xf32> {
  %e = gemma.matmul %patches, @patch : tensor<36x147xf32> -> tensor<36x48xf32>
  %b = gemma.add_weight %e, @patch_bias : tensor<36x48xf32>
  %x = gemma.add_weight %b, @position : tensor<36x48xf32>
  %n = gemma.layer_norm %x, @ln_w, @ln_b eps(1.0e-6) : tensor<36x48xf32>
  %q0 = gemma.matmul %n, @q : tensor<36x48xf32> -> tensor<36x4x12xf32>
  %q = gemma.add_weight %q0, @q_bias : tensor<36x4x12xf32>
  %a = gemma.full_attention %q, %q, %q scale(0.288675129) : tensor<36x4x12xf32>
  %o = gemma.matmul %a, @q : tensor<36x4x12xf32> -> tensor<36x48xf32>
  %r = gemma.add %x, %o : tensor<36x48xf32>
  %t = gemma.avg_pool %r grid [6, 6] kernel(2) : tensor<36x48xf32> -> tensor<9x48xf32>
  %s = gemma.rms_norm %t, @soft_norm plus_one eps(1.0e-6) : tensor<9x48xf32>
  %y = gemma.matmul %s, @projection : tensor<9x48xf32> -> tensor<9x32xf32>
  return %y : tensor<9x32xf32>
}

// A non-square grid pools to a non-square grid of tokens.
// CHECK-LABEL: func.func @wide_grid
// CHECK: gemma.avg_pool %{{.*}} grid [2, 6] kernel(2) : tensor<12x8xf32> -> tensor<3x8xf32>
func.func @wide_grid(%x: tensor<12x8xf32>) -> tensor<3x8xf32> {
  %t = gemma.avg_pool %x grid [2, 6] kernel(2) : tensor<12x8xf32> -> tensor<3x8xf32>
  return %t : tensor<3x8xf32>
}

// An image prefill: soft tokens replace the image token's rows, and the mask
// lets each row see up to its horizon.
// CHECK-LABEL: func.func @image_prefill
// CHECK: gemma.replace_rows %{{.*}}, %{{.*}}, %{{.*}} token(257) : tensor<4x32xf32>, tensor<4xi32>
// CHECK: gemma.image_mask %{{.*}}, %{{.*}}, %{{.*}} window(4) : tensor<4x2x8xf32>, tensor<4xi32>
// CHECK: gemma.image_mask %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x2x8xf32>, tensor<4xi32>
func.func @image_prefill(%e: tensor<4x32xf32>, %soft: tensor<4x32xf32>, %ids: tensor<4xi32>, %s: tensor<4x2x8xf32>, %pos: tensor<4xi32>, %h: tensor<4xi32>) -> (tensor<4x32xf32>, tensor<4x2x8xf32>, tensor<4x2x8xf32>) {
  %x = gemma.replace_rows %e, %soft, %ids token(257) : tensor<4x32xf32>, tensor<4xi32>
  %m = gemma.image_mask %s, %pos, %h window(4) : tensor<4x2x8xf32>, tensor<4xi32>
  %g = gemma.image_mask %s, %pos, %h : tensor<4x2x8xf32>, tensor<4xi32>
  return %x, %m, %g : tensor<4x32xf32>, tensor<4x2x8xf32>, tensor<4x2x8xf32>
}

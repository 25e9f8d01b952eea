// RUN: gemma-opt %s --split-input-file --verify-diagnostics

// Verifier diagnostics of the gemma dialect: one case per rule of
// dialects/gemma/GemmaOps.cpp and WeightType::verify, plus a few ODS-generated
// constraints the ops rely on.

//===----------------------------------------------------------------------===//
// !gemma.weight
//===----------------------------------------------------------------------===//

// WeightType: a zero dimension.
// expected-error @+1 {{weight dimensions must be positive, got 0}}
gemma.param @w : !gemma.weight<[4, 0], f32>

// -----

// WeightType: a negative dimension.
// expected-error @+1 {{weight dimensions must be positive, got -2}}
gemma.param @w : !gemma.weight<[4, -2], f32>

// -----

// WeightType: a K-quant row of 640 values is not whole blocks of 256.
// expected-error @+1 {{rows of q4_k are blocks of 256 values, got rows of 640}}
gemma.param @w : !gemma.weight<[1024, 640], q4_k>

// -----

// WeightType: Q8_0 rows are blocks of 32.
// expected-error @+1 {{rows of q8_0 are blocks of 32 values, got rows of 48}}
gemma.param @w : !gemma.weight<[4, 48], q8_0>

// -----

// WeightType: more than 3 dimensions.
// expected-error @+1 {{weight must have 1 to 3 dimensions, got 4}}
gemma.param @w : !gemma.weight<[1, 2, 3, 4], f32>

// -----

// WeightType: rank 0 is rejected by the parser before the verifier (two errors).
// expected-error @+2 {{expected integer value}}
// expected-error @+1 {{failed to parse Gemma_WeightType parameter 'shape'}}
gemma.param @w : !gemma.weight<[], f32>

//===----------------------------------------------------------------------===//
// gemma.param
//===----------------------------------------------------------------------===//

// -----

// param: scale 0.
// expected-error @+1 {{'gemma.param' op expects scale to be finite and positive, got 0}}
gemma.param @w : !gemma.weight<[4], sfp> {scale = 0.0 : f32}

// -----

// param: negative scale.
// expected-error @+1 {{'gemma.param' op expects scale to be finite and positive, got -1.5}}
gemma.param @w : !gemma.weight<[4], sfp> {scale = -1.5 : f32}

// -----

// param: infinite scale.
// expected-error @+1 {{'gemma.param' op expects scale to be finite and positive, got inf}}
gemma.param @w : !gemma.weight<[4], sfp> {scale = 0x7F800000 : f32}

// -----

// param (ODS): the scale is an f32 attribute.
// expected-error @+1 {{attribute 'scale' failed to satisfy constraint: 32-bit float attribute}}
gemma.param @w : !gemma.weight<[4], sfp> {scale = 2.0 : f64}

// -----

// param (HasParent): params live at module level, not in a function.
func.func @f() {
  // expected-error @+1 {{'gemma.param' op expects parent op 'builtin.module'}}
  gemma.param @w : !gemma.weight<[4], f32>
  return
}

// -----

// param (SymbolTable): two params with one name.
// expected-note @+1 {{see existing symbol definition here}}
gemma.param @w : !gemma.weight<[4], f32>
// expected-error @+1 {{redefinition of symbol named 'w'}}
gemma.param @w : !gemma.weight<[4], f32>

//===----------------------------------------------------------------------===//
// gemma.embed
//===----------------------------------------------------------------------===//

// -----

// embed: the scale must be exactly representable in bf16 or be sqrtf(d).
gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%ids: tensor<2xi32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects scale to be rounded to bfloat16 (Gemma multiplies by bf16(sqrt(d))) or to be sqrtf(d) = 2.82843, got 25.2982}}
  %x = gemma.embed %ids, @emb scale(25.2982) : tensor<2xi32> -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

// -----

// embed: non-positive scale.
gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%ids: tensor<2xi32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects scale to be finite and positive, got -2}}
  %x = gemma.embed %ids, @emb scale(-2.0) : tensor<2xi32> -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

// -----

// embed: a column range that is empty or reversed.
gemma.param @emb : !gemma.weight<[16, 24], bf16>
func.func @f(%ids: tensor<2xi32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects cols [begin, end) with 0 <= begin < end}}
  %x = gemma.embed %ids, @emb cols [16, 8] scale(2.0) : tensor<2xi32> -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

// -----

// embed: the result width is not the column range's.
gemma.param @emb : !gemma.weight<[16, 24], bf16>
func.func @f(%ids: tensor<2xi32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects the result width 8 to equal the column range's 4}}
  %x = gemma.embed %ids, @emb cols [0, 4] scale(2.0) : tensor<2xi32> -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

// -----

// embed: columns past the table.
gemma.param @emb : !gemma.weight<[16, 24], bf16>
func.func @f(%ids: tensor<2xi32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{reads columns up to 32 of a table 24 wide}}
  %x = gemma.embed %ids, @emb cols [24, 32] scale(2.0) : tensor<2xi32> -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

// -----

// embed: result rank is not 2.
gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%ids: tensor<2xi32>) -> tensor<2x2x4xf32> {
  // expected-error @+1 {{expects result of rank 2 ([N, d]), got rank 3}}
  %x = gemma.embed %ids, @emb scale(2.0) : tensor<2xi32> -> tensor<2x2x4xf32>
  return %x : tensor<2x2x4xf32>
}

// -----

// embed: one result row per id.
gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%ids: tensor<2xi32>) -> tensor<3x8xf32> {
  // expected-error @+1 {{expects one result row per id (2), got 3}}
  %x = gemma.embed %ids, @emb scale(2.0) : tensor<2xi32> -> tensor<3x8xf32>
  return %x : tensor<3x8xf32>
}

// -----

// embed: unknown table symbol.
func.func @f(%ids: tensor<2xi32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{weight @nowhere does not name a gemma.param}}
  %x = gemma.embed %ids, @nowhere scale(2.0) : tensor<2xi32> -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

// -----

// embed: the table symbol names an op that is not a gemma.param.
func.func @f(%ids: tensor<2xi32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{weight @f does not name a gemma.param}}
  %x = gemma.embed %ids, @f scale(2.0) : tensor<2xi32> -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

// -----

// embed: the table is not rank 2.
gemma.param @emb : !gemma.weight<[128], bf16>
func.func @f(%ids: tensor<2xi32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects a [V, d] embedding table, got rank 1}}
  %x = gemma.embed %ids, @emb scale(2.0) : tensor<2xi32> -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

// -----

// embed: table width differs from the result width.
gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%ids: tensor<2xi32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{embedding table width 8 does not match the result width 4}}
  %x = gemma.embed %ids, @emb scale(2.0) : tensor<2xi32> -> tensor<2x4xf32>
  return %x : tensor<2x4xf32>
}

// -----

// embed (ODS): ids are a rank-1 tensor.
gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%ids: tensor<2x1xi32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{operand #0 must be non-empty 1-D static tensor of i32}}
  %x = gemma.embed %ids, @emb scale(2.0) : tensor<2x1xi32> -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

// -----

// embed (ODS): ids are i32, not i64.
gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%ids: tensor<2xi64>) -> tensor<2x8xf32> {
  // expected-error @+1 {{operand #0 must be non-empty 1-D static tensor of i32}}
  %x = gemma.embed %ids, @emb scale(2.0) : tensor<2xi64> -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

// -----

// embed (ODS): the scale attribute is required (generic form).
gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%ids: tensor<2xi32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'gemma.embed' op requires attribute 'scale'}}
  %x = "gemma.embed"(%ids) <{table = @emb}> : (tensor<2xi32>) -> tensor<2x8xf32>
  return %x : tensor<2x8xf32>
}

//===----------------------------------------------------------------------===//
// gemma.logits
//===----------------------------------------------------------------------===//

// -----

// logits: input rank is not 2.
gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%h: tensor<2x2x4xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{expects input of rank 2 ([N, d]), got rank 3}}
  %l = gemma.logits %h, @emb : tensor<2x2x4xf32> -> tensor<2x16xf32>
  return %l : tensor<2x16xf32>
}

// -----

// logits: result rank is not 2.
gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%h: tensor<2x8xf32>) -> tensor<2x4x4xf32> {
  // expected-error @+1 {{expects result of rank 2 ([N, V]), got rank 3}}
  %l = gemma.logits %h, @emb : tensor<2x8xf32> -> tensor<2x4x4xf32>
  return %l : tensor<2x4x4xf32>
}

// -----

// logits: one result row per input row.
gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%h: tensor<2x8xf32>) -> tensor<3x16xf32> {
  // expected-error @+1 {{expects one result row per input row (2), got 3}}
  %l = gemma.logits %h, @emb : tensor<2x8xf32> -> tensor<3x16xf32>
  return %l : tensor<3x16xf32>
}

// -----

// logits: unknown table symbol.
func.func @f(%h: tensor<2x8xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{weight @emb does not name a gemma.param}}
  %l = gemma.logits %h, @emb : tensor<2x8xf32> -> tensor<2x16xf32>
  return %l : tensor<2x16xf32>
}

// -----

// logits: the table is not rank 2.
gemma.param @emb : !gemma.weight<[2, 16, 8], bf16>
func.func @f(%h: tensor<2x8xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{expects a [V, d] embedding table, got rank 3}}
  %l = gemma.logits %h, @emb : tensor<2x8xf32> -> tensor<2x16xf32>
  return %l : tensor<2x16xf32>
}

// -----

// logits: table width differs from the input width.
gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%h: tensor<2x4xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{embedding table width 8 does not match the input width 4}}
  %l = gemma.logits %h, @emb : tensor<2x4xf32> -> tensor<2x16xf32>
  return %l : tensor<2x16xf32>
}

// -----

// logits: the vocabulary exceeds the table's rows.
gemma.param @emb : !gemma.weight<[16, 8], bf16>
func.func @f(%h: tensor<2x8xf32>) -> tensor<2x17xf32> {
  // expected-error @+1 {{result vocabulary 17 exceeds the table's 16 rows}}
  %l = gemma.logits %h, @emb : tensor<2x8xf32> -> tensor<2x17xf32>
  return %l : tensor<2x17xf32>
}

//===----------------------------------------------------------------------===//
// gemma.argmax
//===----------------------------------------------------------------------===//

// -----

// argmax: input rank is not 2.
func.func @f(%l: tensor<16xf32>) -> tensor<16xi32> {
  // expected-error @+1 {{expects input of rank 2 ([N, V]), got rank 1}}
  %i = gemma.argmax %l : tensor<16xf32> -> tensor<16xi32>
  return %i : tensor<16xi32>
}

// -----

// argmax: one id per input row.
func.func @f(%l: tensor<2x16xf32>) -> tensor<3xi32> {
  // expected-error @+1 {{expects one id per input row (2), got 3}}
  %i = gemma.argmax %l : tensor<2x16xf32> -> tensor<3xi32>
  return %i : tensor<3xi32>
}

// -----

// argmax (ODS): the result holds i32 ids.
func.func @f(%l: tensor<2x16xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{result #0 must be non-empty 1-D static tensor of i32, but got 'tensor<2xf32>'}}
  %i = "gemma.argmax"(%l) : (tensor<2x16xf32>) -> tensor<2xf32>
  return %i : tensor<2xf32>
}

//===----------------------------------------------------------------------===//
// gemma.rms_norm
//===----------------------------------------------------------------------===//

// -----

// rms_norm (ODS): unknown norm convention keyword.
gemma.param @w : !gemma.weight<[8], bf16>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'weight_scale' [plus_one, plain]}}
  %y = gemma.rms_norm %x, @w twice eps(1.0e-6) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// rms_norm (ODS): a convention value outside the enum (generic form).
gemma.param @w : !gemma.weight<[8], bf16>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{Invalid attribute `weight_scale` in property conversion: 7 : i32}}
  %y = "gemma.rms_norm"(%x) <{epsilon = 1.0e-6 : f32, weight = @w, weight_scale = 7 : i32}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// rms_norm: a weight without its convention (generic form).
gemma.param @w : !gemma.weight<[8], bf16>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects a weight and its convention together}}
  %y = "gemma.rms_norm"(%x) <{epsilon = 1.0e-6 : f32, weight = @w}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// rms_norm: a convention without a weight (generic form).
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects a weight and its convention together}}
  %y = "gemma.rms_norm"(%x) <{epsilon = 1.0e-6 : f32, weight_scale = 1 : i32}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// rms_norm: a rank-0 input has no last dimension.
func.func @f(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{expects an input of rank >= 1}}
  %y = gemma.rms_norm %x eps(1.0e-6) : tensor<f32>
  return %y : tensor<f32>
}

// -----

// rms_norm: epsilon 0.
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects epsilon to be finite and positive, got 0}}
  %y = gemma.rms_norm %x eps(0.0) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// rms_norm: unknown weight symbol.
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{weight @w does not name a gemma.param}}
  %y = gemma.rms_norm %x, @w plain eps(1.0e-6) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// rms_norm: a [2, d] weight is not a vector.
gemma.param @w : !gemma.weight<[2, 8], bf16>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects a norm weight of 8 elements ([8] or [1, 8]), got '!gemma.weight<[2, 8], bf16>'}}
  %y = gemma.rms_norm %x, @w plain eps(1.0e-6) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// rms_norm: a QK-norm weight has the head dimension, not the model width.
gemma.param @w : !gemma.weight<[16], bf16>
func.func @f(%x: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects a norm weight of 8 elements ([8] or [1, 8]), got '!gemma.weight<[16], bf16>'}}
  %y = gemma.rms_norm %x, @w plus_one eps(1.0e-6) : tensor<2x4x8xf32>
  return %y : tensor<2x4x8xf32>
}

// -----

// rms_norm (ODS): activations are f32, not f16.
func.func @f(%x: tensor<2x8xf16>) -> tensor<2x8xf16> {
  // expected-error @+1 {{operand #0 must be non-empty statically shaped tensor of 32-bit float values}}
  %y = gemma.rms_norm %x eps(1.0e-6) : tensor<2x8xf16>
  return %y : tensor<2x8xf16>
}

// -----

// rms_norm (ODS): activations have static shapes.
func.func @f(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{operand #0 must be non-empty statically shaped tensor of 32-bit float values}}
  %y = gemma.rms_norm %x eps(1.0e-6) : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

//===----------------------------------------------------------------------===//
// gemma.matmul
//===----------------------------------------------------------------------===//

// -----

// matmul: input and result of rank >= 2.
gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<8xf32>) -> tensor<16xf32> {
  // expected-error @+1 {{expects input and result of rank >= 2 ([N, ...])}}
  %y = gemma.matmul %x, @w : tensor<8xf32> -> tensor<16xf32>
  return %y : tensor<16xf32>
}

// -----

// matmul: as many result rows as input rows.
gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<3x16xf32> {
  // expected-error @+1 {{expects as many result rows as input rows (2), got 3}}
  %y = gemma.matmul %x, @w : tensor<2x8xf32> -> tensor<3x16xf32>
  return %y : tensor<3x16xf32>
}

// -----

// matmul: an empty row range.
gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{expects rows as [begin, end] pairs with 0 <= begin < end}}
  %y = gemma.matmul %x, @w rows [4, 4] : tensor<2x8xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// matmul: a negative row begin.
gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{expects rows as [begin, end] pairs with 0 <= begin < end}}
  %y = gemma.matmul %x, @w rows [-2, 2] : tensor<2x8xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// matmul: rows has an odd number of elements.
gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{expects rows as [begin, end] pairs with 0 <= begin < end}}
  %y = gemma.matmul %x, @w rows [4] : tensor<2x8xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// matmul: the row range size differs from the result row.
gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{weight rows give 8 outputs, but the result row has 4}}
  %y = gemma.matmul %x, @w rows [0, 8] : tensor<2x8xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// matmul: unknown weight symbol.
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{weight @w does not name a gemma.param}}
  %y = gemma.matmul %x, @w : tensor<2x8xf32> -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

// matmul: the weight is not a matrix.
gemma.param @w : !gemma.weight<[128], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{expects an [out, in] weight matrix, got '!gemma.weight<[128], sfp>'}}
  %y = gemma.matmul %x, @w : tensor<2x8xf32> -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

// matmul: weight columns differ from the input row width.
gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x4xf32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{weight @w has 8 columns, but the input row has 4}}
  %y = gemma.matmul %x, @w : tensor<2x4xf32> -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

// matmul: weight rows differ from the result row width (no row range).
gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x2x4xf32> {
  // expected-error @+1 {{weight @w has 16 rows, but the result row has 8}}
  %y = gemma.matmul %x, @w : tensor<2x8xf32> -> tensor<2x2x4xf32>
  return %y : tensor<2x2x4xf32>
}

// -----

// matmul: the row range ends past the weight's rows.
gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{weight rows end 20 exceeds the 16 rows of @w}}
  %y = gemma.matmul %x, @w rows [12, 20] : tensor<2x8xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// matmul: the second of two row ranges ends past the weight's rows.
gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{weight rows end 18 exceeds the 16 rows of @w}}
  %y = gemma.matmul %x, @w rows [0, 4, 14, 18] : tensor<2x8xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// matmul: an empty second row range.
gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{expects rows as [begin, end] pairs with 0 <= begin < end}}
  %y = gemma.matmul %x, @w rows [0, 4, 9, 9] : tensor<2x8xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// matmul: heads with row ranges.
gemma.param @w : !gemma.weight<[16, 4], sfp>
func.func @f(%x: tensor<2x2x4xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects either rows or heads, not both}}
  %y = gemma.matmul %x, @w rows [0, 8] heads(2) : tensor<2x2x4xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// matmul: heads differs from the input's head dimension.
gemma.param @w : !gemma.weight<[24, 4], sfp>
func.func @f(%x: tensor<2x2x4xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{heads(3) expects an input [N, 3, in], got 'tensor<2x2x4xf32>'}}
  %y = gemma.matmul %x, @w heads(3) : tensor<2x2x4xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// matmul: a head-major weight with too few rows.
gemma.param @w : !gemma.weight<[8, 4], sfp>
func.func @f(%x: tensor<2x2x4xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{weight @w has 8 rows, but heads x the result row has 16}}
  %y = gemma.matmul %x, @w heads(2) : tensor<2x2x4xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// matmul: a head-major weight whose columns differ from the head width.
gemma.param @w : !gemma.weight<[16, 8], sfp>
func.func @f(%x: tensor<2x2x4xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{weight @w has 8 columns, but the input head has 4}}
  %y = gemma.matmul %x, @w heads(2) : tensor<2x2x4xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

//===----------------------------------------------------------------------===//
// gemma.scale
//===----------------------------------------------------------------------===//

// -----

// scale: both a weight and a factor.
gemma.param @s : !gemma.weight<[1], f32>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects exactly one of a weight and a factor}}
  %y = gemma.scale %x by @s factor(2.0) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// scale: neither a weight nor a factor.
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects exactly one of a weight and a factor}}
  %y = gemma.scale %x : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// scale: an infinite factor.
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects a finite factor, got inf}}
  %y = gemma.scale %x factor(0x7F800000) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// scale: a NaN factor.
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects a finite factor, got nan}}
  %y = gemma.scale %x factor(0x7FC00000) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// scale: unknown weight symbol.
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{weight @s does not name a gemma.param}}
  %y = gemma.scale %x by @s : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// scale: the weight is not one element.
gemma.param @s : !gemma.weight<[2], f32>
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects a one-element scalar weight, got '!gemma.weight<[2], f32>'}}
  %y = gemma.scale %x by @s : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// scale (ODS SameOperandsAndResultType): result type differs (generic form).
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %y = "gemma.scale"(%x) <{factor = 2.0 : f32}> : (tensor<2x8xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

//===----------------------------------------------------------------------===//
// gemma.rope
//===----------------------------------------------------------------------===//

// -----

// rope: input rank is not 3.
func.func @f(%x: tensor<2x16xf32>, %p: tensor<2xi32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{expects input of rank 3 ([N, heads, D]), got rank 2}}
  %y = gemma.rope %x, %p base(1.0e4) : tensor<2x16xf32>, tensor<2xi32>
  return %y : tensor<2x16xf32>
}

// -----

// rope: one position per row.
func.func @f(%x: tensor<2x1x16xf32>, %p: tensor<3xi32>) -> tensor<2x1x16xf32> {
  // expected-error @+1 {{expects one position per row (2), got 3}}
  %y = gemma.rope %x, %p base(1.0e4) : tensor<2x1x16xf32>, tensor<3xi32>
  return %y : tensor<2x1x16xf32>
}

// -----

// rope: an odd head dimension.
func.func @f(%x: tensor<2x1x15xf32>, %p: tensor<2xi32>) -> tensor<2x1x15xf32> {
  // expected-error @+1 {{expects an even head dimension, got 15}}
  %y = gemma.rope %x, %p base(1.0e4) : tensor<2x1x15xf32>, tensor<2xi32>
  return %y : tensor<2x1x15xf32>
}

// -----

// rope: base 0.
func.func @f(%x: tensor<2x1x16xf32>, %p: tensor<2xi32>) -> tensor<2x1x16xf32> {
  // expected-error @+1 {{expects base to be finite and positive, got 0}}
  %y = gemma.rope %x, %p base(0.0) : tensor<2x1x16xf32>, tensor<2xi32>
  return %y : tensor<2x1x16xf32>
}

// -----

// rope: infinite base.
func.func @f(%x: tensor<2x1x16xf32>, %p: tensor<2xi32>) -> tensor<2x1x16xf32> {
  // expected-error @+1 {{expects base to be finite and positive, got inf}}
  %y = gemma.rope %x, %p base(0x7FF0000000000000) : tensor<2x1x16xf32>, tensor<2xi32>
  return %y : tensor<2x1x16xf32>
}

// -----

// rope: negative scale.
func.func @f(%x: tensor<2x1x16xf32>, %p: tensor<2xi32>) -> tensor<2x1x16xf32> {
  // expected-error @+1 {{expects scale to be finite and positive, got -8}}
  %y = gemma.rope %x, %p base(1.0e4) scale(-8.0) : tensor<2x1x16xf32>, tensor<2xi32>
  return %y : tensor<2x1x16xf32>
}

// -----

// rope: fraction 0.
func.func @f(%x: tensor<2x1x16xf32>, %p: tensor<2xi32>) -> tensor<2x1x16xf32> {
  // expected-error @+1 {{expects the rotated fraction in (0, 1], got 0}}
  %y = gemma.rope %x, %p base(1.0e4) fraction(0.0) : tensor<2x1x16xf32>, tensor<2xi32>
  return %y : tensor<2x1x16xf32>
}

// -----

// rope: fraction above 1.
func.func @f(%x: tensor<2x1x16xf32>, %p: tensor<2xi32>) -> tensor<2x1x16xf32> {
  // expected-error @+1 {{expects the rotated fraction in (0, 1], got 1.5}}
  %y = gemma.rope %x, %p base(1.0e4) fraction(1.5) : tensor<2x1x16xf32>, tensor<2xi32>
  return %y : tensor<2x1x16xf32>
}

// -----

// rope: a fraction that rotates no pair (floor(0.1 * 4 / 2) = 0).
func.func @f(%x: tensor<2x1x4xf32>, %p: tensor<2xi32>) -> tensor<2x1x4xf32> {
  // expected-error @+1 {{rotated fraction 0.1 of head dimension 4 rotates no pair}}
  %y = gemma.rope %x, %p base(1.0e4) fraction(0.1) : tensor<2x1x4xf32>, tensor<2xi32>
  return %y : tensor<2x1x4xf32>
}

// -----

// rope (ODS AllTypesMatch): result type differs from the input (generic form).
func.func @f(%x: tensor<2x1x16xf32>, %p: tensor<2xi32>) -> tensor<2x1x8xf32> {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %y = "gemma.rope"(%x, %p) <{base = 1.0e4 : f64}> : (tensor<2x1x16xf32>, tensor<2xi32>) -> tensor<2x1x8xf32>
  return %y : tensor<2x1x8xf32>
}

// -----

// rope (ODS): positions are a static tensor.
func.func @f(%x: tensor<2x1x16xf32>, %p: tensor<?xi32>) -> tensor<2x1x16xf32> {
  // expected-error @+1 {{operand #1 must be non-empty 1-D static tensor of i32}}
  %y = gemma.rope %x, %p base(1.0e4) : tensor<2x1x16xf32>, tensor<?xi32>
  return %y : tensor<2x1x16xf32>
}

//===----------------------------------------------------------------------===//
// gemma.kv_write
//===----------------------------------------------------------------------===//

// -----

// kv_write: input rank is not 3.
func.func @f(%k: tensor<2x16xf32>, %c: tensor<1x8x1x16xf32>, %p: tensor<2xi32>) -> tensor<1x8x1x16xf32> {
  // expected-error @+1 {{expects input of rank 3 ([N, K, D]), got rank 2}}
  %r = gemma.kv_write %k into %c at %p : tensor<2x16xf32> into tensor<1x8x1x16xf32>, tensor<2xi32>
  return %r : tensor<1x8x1x16xf32>
}

// -----

// kv_write: cache rank is not 4.
func.func @f(%k: tensor<2x1x16xf32>, %c: tensor<1x8x16xf32>, %p: tensor<2xi32>) -> tensor<1x8x16xf32> {
  // expected-error @+1 {{expects cache of rank 4 ([B, S, K, D]), got rank 3}}
  %r = gemma.kv_write %k into %c at %p : tensor<2x1x16xf32> into tensor<1x8x16xf32>, tensor<2xi32>
  return %r : tensor<1x8x16xf32>
}

// -----

// kv_write: KV head count differs from the cache's.
func.func @f(%k: tensor<2x1x16xf32>, %c: tensor<1x8x2x16xf32>, %p: tensor<2xi32>) -> tensor<1x8x2x16xf32> {
  // expected-error @+1 {{input heads [1, 16] do not match the cache's [2, 16] (KV heads, head dimension)}}
  %r = gemma.kv_write %k into %c at %p : tensor<2x1x16xf32> into tensor<1x8x2x16xf32>, tensor<2xi32>
  return %r : tensor<1x8x2x16xf32>
}

// -----

// kv_write: head dimension differs from the cache's.
func.func @f(%k: tensor<2x1x16xf32>, %c: tensor<1x8x1x32xf32>, %p: tensor<2xi32>) -> tensor<1x8x1x32xf32> {
  // expected-error @+1 {{input heads [1, 16] do not match the cache's [1, 32] (KV heads, head dimension)}}
  %r = gemma.kv_write %k into %c at %p : tensor<2x1x16xf32> into tensor<1x8x1x32xf32>, tensor<2xi32>
  return %r : tensor<1x8x1x32xf32>
}

// -----

// kv_write: one position per row.
func.func @f(%k: tensor<2x1x16xf32>, %c: tensor<1x8x1x16xf32>, %p: tensor<1xi32>) -> tensor<1x8x1x16xf32> {
  // expected-error @+1 {{expects one position per row (2), got 1}}
  %r = gemma.kv_write %k into %c at %p : tensor<2x1x16xf32> into tensor<1x8x1x16xf32>, tensor<1xi32>
  return %r : tensor<1x8x1x16xf32>
}

// -----

// kv_write: cache batch B is neither 1 nor N.
func.func @f(%k: tensor<2x1x16xf32>, %c: tensor<3x8x1x16xf32>, %p: tensor<2xi32>) -> tensor<3x8x1x16xf32> {
  // expected-error @+1 {{expects cache to hold 1 sequence or one per row (2), got 3}}
  %r = gemma.kv_write %k into %c at %p : tensor<2x1x16xf32> into tensor<3x8x1x16xf32>, tensor<2xi32>
  return %r : tensor<3x8x1x16xf32>
}

// -----

// kv_write (ODS AllTypesMatch): result type differs from the cache (generic form).
func.func @f(%k: tensor<2x1x16xf32>, %c: tensor<1x8x1x16xf32>, %p: tensor<2xi32>) -> tensor<1x4x1x16xf32> {
  // expected-error @+1 {{failed to verify that all of {cache, result} have same type}}
  %r = "gemma.kv_write"(%k, %c, %p) : (tensor<2x1x16xf32>, tensor<1x8x1x16xf32>, tensor<2xi32>) -> tensor<1x4x1x16xf32>
  return %r : tensor<1x4x1x16xf32>
}

//===----------------------------------------------------------------------===//
// gemma.attn_scores
//===----------------------------------------------------------------------===//

// -----

// attn_scores: query rank is not 3.
func.func @f(%q: tensor<2x16xf32>, %k: tensor<1x8x1x16xf32>) -> tensor<2x1x8xf32> {
  // expected-error @+1 {{expects query of rank 3 ([N, H, D]), got rank 2}}
  %s = gemma.attn_scores %q, %k scale(0.25) : tensor<2x16xf32>, tensor<1x8x1x16xf32> -> tensor<2x1x8xf32>
  return %s : tensor<2x1x8xf32>
}

// -----

// attn_scores: keys rank is not 4.
func.func @f(%q: tensor<2x4x16xf32>, %k: tensor<8x2x16xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects keys of rank 4 ([B, S, K, D]), got rank 3}}
  %s = gemma.attn_scores %q, %k scale(0.25) : tensor<2x4x16xf32>, tensor<8x2x16xf32> -> tensor<2x4x8xf32>
  return %s : tensor<2x4x8xf32>
}

// -----

// attn_scores: query head dimension differs from the keys'.
func.func @f(%q: tensor<2x4x16xf32>, %k: tensor<1x8x2x32xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{query head dimension 16 does not match the keys' 32}}
  %s = gemma.attn_scores %q, %k scale(0.25) : tensor<2x4x16xf32>, tensor<1x8x2x32xf32> -> tensor<2x4x8xf32>
  return %s : tensor<2x4x8xf32>
}

// -----

// attn_scores: KV heads do not divide the query heads.
func.func @f(%q: tensor<2x6x16xf32>, %k: tensor<1x8x4x16xf32>) -> tensor<2x6x8xf32> {
  // expected-error @+1 {{query head count 6 is not a multiple of the KV head count 4}}
  %s = gemma.attn_scores %q, %k scale(0.25) : tensor<2x6x16xf32>, tensor<1x8x4x16xf32> -> tensor<2x6x8xf32>
  return %s : tensor<2x6x8xf32>
}

// -----

// attn_scores: keys batch B is neither 1 nor N.
func.func @f(%q: tensor<2x4x16xf32>, %k: tensor<3x8x2x16xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects keys to hold 1 sequence or one per row (2), got 3}}
  %s = gemma.attn_scores %q, %k scale(0.25) : tensor<2x4x16xf32>, tensor<3x8x2x16xf32> -> tensor<2x4x8xf32>
  return %s : tensor<2x4x8xf32>
}

// -----

// attn_scores: scale 0.
func.func @f(%q: tensor<2x4x16xf32>, %k: tensor<1x8x2x16xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects scale to be finite and positive, got 0}}
  %s = gemma.attn_scores %q, %k scale(0.0) : tensor<2x4x16xf32>, tensor<1x8x2x16xf32> -> tensor<2x4x8xf32>
  return %s : tensor<2x4x8xf32>
}

// -----

// attn_scores: result is not [N, H, S].
func.func @f(%q: tensor<2x4x16xf32>, %k: tensor<1x8x2x16xf32>) -> tensor<2x4x9xf32> {
  // expected-error @+1 {{expects result of shape [2, 4, 8], got [2, 4, 9]}}
  %s = gemma.attn_scores %q, %k scale(0.25) : tensor<2x4x16xf32>, tensor<1x8x2x16xf32> -> tensor<2x4x9xf32>
  return %s : tensor<2x4x9xf32>
}

//===----------------------------------------------------------------------===//
// gemma.softcap
//===----------------------------------------------------------------------===//

// -----

// softcap: negative cap.
func.func @f(%s: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects cap to be finite and positive, got -50}}
  %c = gemma.softcap %s cap(-50.0) : tensor<2x4x8xf32>
  return %c : tensor<2x4x8xf32>
}

// -----

// softcap: cap 0.
func.func @f(%s: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects cap to be finite and positive, got 0}}
  %c = gemma.softcap %s cap(0.0) : tensor<2x4x8xf32>
  return %c : tensor<2x4x8xf32>
}

// -----

// softcap: NaN cap.
func.func @f(%s: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects cap to be finite and positive, got nan}}
  %c = gemma.softcap %s cap(0x7FC00000) : tensor<2x4x8xf32>
  return %c : tensor<2x4x8xf32>
}

//===----------------------------------------------------------------------===//
// gemma.window_mask
//===----------------------------------------------------------------------===//

// -----

// window_mask: scores rank is not 3.
func.func @f(%s: tensor<2x32xf32>, %p: tensor<2xi32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{expects scores of rank 3 ([N, H, S]), got rank 2}}
  %m = gemma.window_mask %s, %p : tensor<2x32xf32>, tensor<2xi32>
  return %m : tensor<2x32xf32>
}

// -----

// window_mask: one position per row.
func.func @f(%s: tensor<2x4x8xf32>, %p: tensor<4xi32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects one position per row (2), got 4}}
  %m = gemma.window_mask %s, %p : tensor<2x4x8xf32>, tensor<4xi32>
  return %m : tensor<2x4x8xf32>
}

// -----

// window_mask: window 0.
func.func @f(%s: tensor<2x4x8xf32>, %p: tensor<2xi32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects a positive window, got 0}}
  %m = gemma.window_mask %s, %p window(0) : tensor<2x4x8xf32>, tensor<2xi32>
  return %m : tensor<2x4x8xf32>
}

// -----

// window_mask: negative window.
func.func @f(%s: tensor<2x4x8xf32>, %p: tensor<2xi32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{expects a positive window, got -3}}
  %m = gemma.window_mask %s, %p window(-3) : tensor<2x4x8xf32>, tensor<2xi32>
  return %m : tensor<2x4x8xf32>
}

//===----------------------------------------------------------------------===//
// gemma.attn_values
//===----------------------------------------------------------------------===//

// -----

// attn_values: probs rank is not 3.
func.func @f(%p: tensor<2x8xf32>, %v: tensor<1x8x1x16xf32>) -> tensor<2x1x16xf32> {
  // expected-error @+1 {{expects probs of rank 3 ([N, H, S]), got rank 2}}
  %o = gemma.attn_values %p, %v : tensor<2x8xf32>, tensor<1x8x1x16xf32> -> tensor<2x1x16xf32>
  return %o : tensor<2x1x16xf32>
}

// -----

// attn_values: values rank is not 4.
func.func @f(%p: tensor<2x4x8xf32>, %v: tensor<8x2x16xf32>) -> tensor<2x4x16xf32> {
  // expected-error @+1 {{expects values of rank 4 ([B, S, K, D]), got rank 3}}
  %o = gemma.attn_values %p, %v : tensor<2x4x8xf32>, tensor<8x2x16xf32> -> tensor<2x4x16xf32>
  return %o : tensor<2x4x16xf32>
}

// -----

// attn_values: probs slots differ from the cache's.
func.func @f(%p: tensor<2x4x8xf32>, %v: tensor<1x9x2x16xf32>) -> tensor<2x4x16xf32> {
  // expected-error @+1 {{probs cover 8 slots, but the values cache has 9}}
  %o = gemma.attn_values %p, %v : tensor<2x4x8xf32>, tensor<1x9x2x16xf32> -> tensor<2x4x16xf32>
  return %o : tensor<2x4x16xf32>
}

// -----

// attn_values: KV heads do not divide the query heads.
func.func @f(%p: tensor<2x4x8xf32>, %v: tensor<1x8x3x16xf32>) -> tensor<2x4x16xf32> {
  // expected-error @+1 {{query head count 4 is not a multiple of the KV head count 3}}
  %o = gemma.attn_values %p, %v : tensor<2x4x8xf32>, tensor<1x8x3x16xf32> -> tensor<2x4x16xf32>
  return %o : tensor<2x4x16xf32>
}

// -----

// attn_values: values batch B is neither 1 nor N.
func.func @f(%p: tensor<2x4x8xf32>, %v: tensor<4x8x2x16xf32>) -> tensor<2x4x16xf32> {
  // expected-error @+1 {{expects values to hold 1 sequence or one per row (2), got 4}}
  %o = gemma.attn_values %p, %v : tensor<2x4x8xf32>, tensor<4x8x2x16xf32> -> tensor<2x4x16xf32>
  return %o : tensor<2x4x16xf32>
}

// -----

// attn_values: result is not [N, H, D].
func.func @f(%p: tensor<2x4x8xf32>, %v: tensor<1x8x2x16xf32>) -> tensor<2x4x32xf32> {
  // expected-error @+1 {{expects result of shape [2, 4, 16], got [2, 4, 32]}}
  %o = gemma.attn_values %p, %v : tensor<2x4x8xf32>, tensor<1x8x2x16xf32> -> tensor<2x4x32xf32>
  return %o : tensor<2x4x32xf32>
}

//===----------------------------------------------------------------------===//
// Elementwise ops (ODS constraints only)
//===----------------------------------------------------------------------===//

// -----

// softmax (ODS): an i32 operand is not an f32 activation.
func.func @f(%x: tensor<2x8xi32>) -> tensor<2x8xi32> {
  // expected-error @+1 {{operand #0 must be non-empty statically shaped tensor of 32-bit float values}}
  %y = gemma.softmax %x : tensor<2x8xi32>
  return %y : tensor<2x8xi32>
}

// -----

// gelu_tanh (ODS): a bf16 operand is not an f32 activation.
func.func @f(%x: tensor<2x8xbf16>) -> tensor<2x8xbf16> {
  // expected-error @+1 {{operand #0 must be non-empty statically shaped tensor of 32-bit float values}}
  %y = gemma.gelu_tanh %x : tensor<2x8xbf16>
  return %y : tensor<2x8xbf16>
}

// -----

// silu (ODS): the result has the operand's shape.
func.func @f(%x: tensor<2x8xf32>) -> tensor<8x2xf32> {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %y = "gemma.silu"(%x) : (tensor<2x8xf32>) -> tensor<8x2xf32>
  return %y : tensor<8x2xf32>
}

// -----

// gelu_erf (ODS): a bf16 operand is not an f32 activation.
func.func @f(%x: tensor<2x8xbf16>) -> tensor<2x8xbf16> {
  // expected-error @+1 {{operand #0 must be non-empty statically shaped tensor of 32-bit float values}}
  %y = gemma.gelu_erf %x : tensor<2x8xbf16>
  return %y : tensor<2x8xbf16>
}

// -----

// gelu_erf (ODS): the result has the operand's type.
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %y = "gemma.gelu_erf"(%x) : (tensor<2x8xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// add (ODS SameOperandsAndResultType): operands of different shapes (generic form).
func.func @f(%a: tensor<2x8xf32>, %b: tensor<2x4xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %c = "gemma.add"(%a, %b) : (tensor<2x8xf32>, tensor<2x4xf32>) -> tensor<2x8xf32>
  return %c : tensor<2x8xf32>
}

// -----

// mul (ODS SameOperandsAndResultType): operands of different shapes (generic form).
func.func @f(%a: tensor<2x8xf32>, %b: tensor<2x4xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %c = "gemma.mul"(%a, %b) : (tensor<2x8xf32>, tensor<2x4xf32>) -> tensor<2x8xf32>
  return %c : tensor<2x8xf32>
}

// -----

func.func @f(%q: tensor<2x4x16xf32>, %k: tensor<1x8x0x16xf32>) -> tensor<2x4x8xf32> {
  // Empty axes are rejected before any verifier divides by a head count.
  // expected-error @+1 {{operand #1 must be non-empty statically shaped tensor of 32-bit float values}}
  %s = gemma.attn_scores %q, %k scale(0.25) : tensor<2x4x16xf32>, tensor<1x8x0x16xf32> -> tensor<2x4x8xf32>
  return %s : tensor<2x4x8xf32>
}

//===----------------------------------------------------------------------===//
// Fused ops: the checks of their groups
//===----------------------------------------------------------------------===//

// -----

// fused_geglu: the up rows give more outputs than the result row.
gemma.param @w : !gemma.weight<[256, 64], sfp>
func.func @f(%x: tensor<2x64xf32>) -> tensor<2x128xf32> {
  // expected-error @+1 {{weight rows give 192 outputs, but the result row has 128}}
  %h = gemma.fused_geglu %x, gate @w rows [0, 128], up @w rows [64, 256] : tensor<2x64xf32> -> tensor<2x128xf32>
  return %h : tensor<2x128xf32>
}

// -----

// fused_geglu: the gate matrix has the wrong column count.
gemma.param @g : !gemma.weight<[128, 32], sfp>
gemma.param @u : !gemma.weight<[128, 64], sfp>
func.func @f(%x: tensor<2x64xf32>) -> tensor<2x128xf32> {
  // expected-error @+1 {{weight @g has 32 columns, but the input row has 64}}
  %h = gemma.fused_geglu %x, gate @g, up @u : tensor<2x64xf32> -> tensor<2x128xf32>
  return %h : tensor<2x128xf32>
}

// -----

// fused_residual_norm: a norm weight of the wrong width.
gemma.param @w : !gemma.weight<[1, 32], bf16>
func.func @f(%x: tensor<2x64xf32>, %a: tensor<2x64xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{expects a norm weight of 64 elements ([64] or [1, 64]), got '!gemma.weight<[1, 32], bf16>'}}
  %s, %n = gemma.fused_residual_norm %x, %a, @w plain eps(1.0e-6) : tensor<2x64xf32>
  return %n : tensor<2x64xf32>
}

// -----

// fused_residual_norm: a zero epsilon.
func.func @f(%x: tensor<2x64xf32>, %a: tensor<2x64xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{expects epsilon to be finite and positive, got 0}}
  %s, %n = gemma.fused_residual_norm %x, %a eps(0.0) : tensor<2x64xf32>
  return %n : tensor<2x64xf32>
}

// -----

// fused_attention: a non-positive window.
func.func @f(%q: tensor<1x4x16xf32>, %kc: tensor<1x8x2x16xf32>, %pos: tensor<1xi32>) -> tensor<1x4x16xf32> {
  // expected-error @+1 {{expects a positive window, got 0}}
  %o = gemma.fused_attention %q, %kc, %kc, %pos scale(0.25) window(0) : tensor<1x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1xi32> -> tensor<1x4x16xf32>
  return %o : tensor<1x4x16xf32>
}

// -----

// fused_attention: a negative cap.
func.func @f(%q: tensor<1x4x16xf32>, %kc: tensor<1x8x2x16xf32>, %pos: tensor<1xi32>) -> tensor<1x4x16xf32> {
  // expected-error @+1 {{expects cap to be finite and positive, got -50}}
  %o = gemma.fused_attention %q, %kc, %kc, %pos scale(0.25) cap(-50.0) : tensor<1x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1xi32> -> tensor<1x4x16xf32>
  return %o : tensor<1x4x16xf32>
}

// -----

// fused_attention: keys and values caches of different slot counts.
func.func @f(%q: tensor<1x4x16xf32>, %kc: tensor<1x8x2x16xf32>, %vc: tensor<1x6x2x16xf32>, %pos: tensor<1xi32>) -> tensor<1x4x16xf32> {
  // expected-error @+1 {{expects keys and values with the same sequences, slots and KV heads}}
  %o = gemma.fused_attention %q, %kc, %vc, %pos scale(0.25) : tensor<1x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x6x2x16xf32>, tensor<1xi32> -> tensor<1x4x16xf32>
  return %o : tensor<1x4x16xf32>
}

// -----

// fused_attention: query heads not a multiple of the KV heads.
func.func @f(%q: tensor<1x3x16xf32>, %kc: tensor<1x8x2x16xf32>, %pos: tensor<1xi32>) -> tensor<1x3x16xf32> {
  // expected-error @+1 {{query head count 3 is not a multiple of the KV head count 2}}
  %o = gemma.fused_attention %q, %kc, %kc, %pos scale(0.25) : tensor<1x3x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1xi32> -> tensor<1x3x16xf32>
  return %o : tensor<1x3x16xf32>
}

// -----

// fused_attention: one position per query row.
func.func @f(%q: tensor<2x4x16xf32>, %kc: tensor<1x8x2x16xf32>, %pos: tensor<3xi32>) -> tensor<2x4x16xf32> {
  // expected-error @+1 {{expects one position per row (2), got 3}}
  %o = gemma.fused_attention %q, %kc, %kc, %pos scale(0.25) : tensor<2x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<3xi32> -> tensor<2x4x16xf32>
  return %o : tensor<2x4x16xf32>
}

// -----

// fused_logits: more vocabulary than table rows.
gemma.param @t : !gemma.weight<[256, 64], bf16>
func.func @f(%h: tensor<1x64xf32>) -> tensor<1x300xf32> {
  // expected-error @+1 {{result vocabulary 300 exceeds the table's 256 rows}}
  %l = gemma.fused_logits %h, @t cap(30.0) : tensor<1x64xf32> -> tensor<1x300xf32>
  return %l : tensor<1x300xf32>
}

// -----

// fused_logits: an infinite cap.
gemma.param @t : !gemma.weight<[256, 64], bf16>
func.func @f(%h: tensor<1x64xf32>) -> tensor<1x256xf32> {
  // expected-error @+1 {{expects cap to be finite and positive, got inf}}
  %l = gemma.fused_logits %h, @t cap(0x7F800000) : tensor<1x64xf32> -> tensor<1x256xf32>
  return %l : tensor<1x256xf32>
}

// -----

// fused_norm_matmul: a norm weight without its convention (generic form).
gemma.param @w : !gemma.weight<[128, 64], sfp>
gemma.param @n : !gemma.weight<[64], bf16>
func.func @f(%x: tensor<2x64xf32>) -> tensor<2x128xf32> {
  // expected-error @+1 {{expects a weight and its convention together}}
  %y = "gemma.fused_norm_matmul"(%x) {norm_weight = @n, epsilon = 1.0e-6 : f32, weight = @w} : (tensor<2x64xf32>) -> tensor<2x128xf32>
  return %y : tensor<2x128xf32>
}

// -----

// fused_norm_matmul: the row range ends past the weight's rows.
gemma.param @w : !gemma.weight<[128, 64], sfp>
func.func @f(%x: tensor<2x64xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{weight rows end 160 exceeds the 128 rows of @w}}
  %y = gemma.fused_norm_matmul %x eps(1.0e-6), @w rows [96, 160] : tensor<2x64xf32> -> tensor<2x64xf32>
  return %y : tensor<2x64xf32>
}

// -----

// fused_qkv_rope: a query norm without the key norm (generic form).
gemma.param @w : !gemma.weight<[128, 64], sfp>
gemma.param @n : !gemma.weight<[16], bf16>
func.func @f(%x: tensor<1x64xf32>, %pos: tensor<1xi32>, %kc: tensor<1x8x2x16xf32>) -> tensor<1x4x16xf32> {
  // expected-error @+1 {{expects the query norm, key norm and their convention together}}
  %q, %k, %v = "gemma.fused_qkv_rope"(%x, %pos, %kc, %kc) {q_weight = @w, q_rows = array<i64: 0, 64>, k_weight = @w, k_rows = array<i64: 64, 96>, v_weight = @w, v_rows = array<i64: 96, 128>, query_norm = @n, epsilon = 1.0e-6 : f32, base = 1.0e4 : f64} : (tensor<1x64xf32>, tensor<1xi32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>) -> (tensor<1x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
  return %q : tensor<1x4x16xf32>
}

// -----

// fused_qkv_rope: K=V with value rows.
gemma.param @w : !gemma.weight<[128, 64], sfp>
func.func @f(%x: tensor<1x64xf32>, %pos: tensor<1xi32>, %kc: tensor<1x8x2x16xf32>) -> tensor<1x4x16xf32> {
  // expected-error @+1 {{without a value projection (K=V) expects no value rows and a value cache of the keys' heads}}
  %q, %k, %v = "gemma.fused_qkv_rope"(%x, %pos, %kc, %kc) {q_weight = @w, q_rows = array<i64: 0, 64>, k_weight = @w, k_rows = array<i64: 64, 96>, v_rows = array<i64: 96, 128>, epsilon = 1.0e-6 : f32, base = 1.0e4 : f64} : (tensor<1x64xf32>, tensor<1xi32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>) -> (tensor<1x4x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>)
  return %q : tensor<1x4x16xf32>
}

// -----

// fused_qkv_rope: key rows that do not fill the key heads.
gemma.param @w : !gemma.weight<[128, 64], sfp>
func.func @f(%x: tensor<1x64xf32>, %pos: tensor<1xi32>, %kc: tensor<1x8x2x16xf32>) -> tensor<1x4x16xf32> {
  // expected-error @+1 {{weight rows give 16 outputs, but the result row has 32}}
  %q, %k, %v = gemma.fused_qkv_rope %x, %pos, %kc, %kc q @w rows [0, 64], k @w rows [64, 80], v @w rows [96, 128] eps(1.0e-6) rope base(1.0e4) : tensor<1x64xf32>, tensor<1xi32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32> -> tensor<1x4x16xf32>
  return %q : tensor<1x4x16xf32>
}

// -----

// fused_qkv_rope: a rotated fraction that rotates nothing.
gemma.param @w : !gemma.weight<[128, 64], sfp>
func.func @f(%x: tensor<1x64xf32>, %pos: tensor<1xi32>, %kc: tensor<1x8x2x16xf32>) -> tensor<1x4x16xf32> {
  // expected-error @+1 {{rotated fraction 0.1 of head dimension 16 rotates no pair}}
  %q, %k, %v = gemma.fused_qkv_rope %x, %pos, %kc, %kc q @w rows [0, 64], k @w rows [64, 96], v @w rows [96, 128] eps(1.0e-6) rope base(1.0e4) fraction(0.1) : tensor<1x64xf32>, tensor<1xi32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32> -> tensor<1x4x16xf32>
  return %q : tensor<1x4x16xf32>
}

// -----

// fused_qkv_rope: a key norm as wide as a query row, not a key head.
gemma.param @w : !gemma.weight<[128, 64], sfp>
gemma.param @qn : !gemma.weight<[16], bf16>
gemma.param @kn : !gemma.weight<[64], bf16>
func.func @f(%x: tensor<1x64xf32>, %pos: tensor<1xi32>, %kc: tensor<1x8x2x16xf32>) -> tensor<1x4x16xf32> {
  // expected-error @+1 {{expects a norm weight of 16 elements ([16] or [1, 16]), got '!gemma.weight<[64], bf16>'}}
  %q, %k, %v = gemma.fused_qkv_rope %x, %pos, %kc, %kc q @w rows [0, 64], k @w rows [64, 96], v @w rows [96, 128] qk_norm @qn @kn plain eps(1.0e-6) rope base(1.0e4) : tensor<1x64xf32>, tensor<1xi32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32> -> tensor<1x4x16xf32>
  return %q : tensor<1x4x16xf32>
}

// -----

// moe_experts: top_k larger than the expert count.
gemma.param @s : !gemma.weight<[4], f32>
gemma.param @gu : !gemma.weight<[128, 32], f32>
gemma.param @dn : !gemma.weight<[128, 16], f32>
func.func @f(%u: tensor<2x32xf32>, %l: tensor<2x4xf32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{expects top_k in 1..4, got 5}}
  %y = gemma.moe_experts %u, %l, @s, @gu, @dn top_k(5) : tensor<2x32xf32>, tensor<2x4xf32> -> tensor<2x32xf32>
  return %y : tensor<2x32xf32>
}

// -----

// moe_experts: one row of router logits per input row.
gemma.param @s : !gemma.weight<[4], f32>
gemma.param @gu : !gemma.weight<[128, 32], f32>
gemma.param @dn : !gemma.weight<[128, 16], f32>
func.func @f(%u: tensor<2x32xf32>, %l: tensor<3x4xf32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{expects one row of router logits per input row}}
  %y = gemma.moe_experts %u, %l, @s, @gu, @dn top_k(2) : tensor<2x32xf32>, tensor<3x4xf32> -> tensor<2x32xf32>
  return %y : tensor<2x32xf32>
}

// -----

// moe_experts: a per-expert scale per expert.
gemma.param @s : !gemma.weight<[3], f32>
gemma.param @gu : !gemma.weight<[128, 32], f32>
gemma.param @dn : !gemma.weight<[128, 16], f32>
func.func @f(%u: tensor<2x32xf32>, %l: tensor<2x4xf32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{expects 4 per-expert scales, got 3}}
  %y = gemma.moe_experts %u, %l, @s, @gu, @dn top_k(2) : tensor<2x32xf32>, tensor<2x4xf32> -> tensor<2x32xf32>
  return %y : tensor<2x32xf32>
}

// -----

// moe_experts: down must be [E * d, F] for the F that gate_up implies.
gemma.param @s : !gemma.weight<[4], f32>
gemma.param @gu : !gemma.weight<[128, 32], f32>
gemma.param @dn : !gemma.weight<[128, 8], f32>
func.func @f(%u: tensor<2x32xf32>, %l: tensor<2x4xf32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{expects down as [128, 16] (E * d rows of the expert width)}}
  %y = gemma.moe_experts %u, %l, @s, @gu, @dn top_k(2) : tensor<2x32xf32>, tensor<2x4xf32> -> tensor<2x32xf32>
  return %y : tensor<2x32xf32>
}

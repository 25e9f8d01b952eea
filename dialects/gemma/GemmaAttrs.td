//===- GemmaAttrs.td - Enums and attributes of gemma -------*- tablegen -*-===//

#ifndef GEMMA_ATTRS_TD
#define GEMMA_ATTRS_TD

include "dialects/gemma/GemmaDialect.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Weight storage types
//===----------------------------------------------------------------------===//

// Append new cases at the end: the numeric values are serialized in plans.
def Gemma_StorageType : I32EnumAttr<"StorageType",
    "how a weight is stored in the model file", [
  I32EnumAttrCase<"F32", 0, "f32">,
  I32EnumAttrCase<"BF16", 1, "bf16">,
  I32EnumAttrCase<"SFP", 2, "sfp">,
  I32EnumAttrCase<"NUQ", 3, "nuq">,
  I32EnumAttrCase<"I8", 4, "i8">,
  // llama.cpp's GGML types (GGUF files): blocks of 32 or 256 values along
  // each row.
  I32EnumAttrCase<"F16", 5, "f16">,
  I32EnumAttrCase<"Q4_0", 6, "q4_0">,
  I32EnumAttrCase<"Q4_1", 7, "q4_1">,
  I32EnumAttrCase<"Q5_0", 8, "q5_0">,
  I32EnumAttrCase<"Q5_1", 9, "q5_1">,
  I32EnumAttrCase<"Q8_0", 10, "q8_0">,
  I32EnumAttrCase<"Q2_K", 11, "q2_k">,
  I32EnumAttrCase<"Q3_K", 12, "q3_k">,
  I32EnumAttrCase<"Q4_K", 13, "q4_k">,
  I32EnumAttrCase<"Q5_K", 14, "q5_k">,
  I32EnumAttrCase<"Q6_K", 15, "q6_k">
]> {
  let cppNamespace = "::gemma::ir";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// RMSNorm weight convention
//===----------------------------------------------------------------------===//

def Gemma_NormScale : I32EnumAttr<"NormScale",
    "how an RMSNorm applies its stored weight w", [
  // Gemma 1, 2, 3: y = x * r * (1 + w); stored weights are offsets from 1.
  I32EnumAttrCase<"PlusOne", 0, "plus_one">,
  // Gemma 3n, 4: y = x * r * w; stored weights are the multiplier.
  I32EnumAttrCase<"Plain", 1, "plain">
]> {
  let cppNamespace = "::gemma::ir";
}

#endif // GEMMA_ATTRS_TD

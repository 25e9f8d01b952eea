//===- GemmaTypes.td - Types of the gemma dialect ----------*- tablegen -*-===//

#ifndef GEMMA_TYPES_TD
#define GEMMA_TYPES_TD

include "dialects/gemma/GemmaAttrs.td"
include "mlir/IR/AttrTypeBase.td"

def Gemma_WeightType : TypeDef<Gemma_Dialect, "Weight"> {
  let mnemonic = "weight";
  let summary = "A model weight: its shape and how it is stored";
  let description = [{
    The type of a `gemma.param`: a row-major tensor of the given shape whose
    elements are stored in one of the model file's codecs. Matrices are stored
    `[out_features, in_features]`, one row per output element. Kernels decode
    the stored type themselves; no op ever sees an f32 copy of the weight.

    GGUF files bring llama.cpp's block types (`f16`, `q4_0`, `q4_1`, `q5_0`,
    `q5_1`, `q8_0`, `q2_k` ... `q6_k`): each row is a whole number of blocks
    (32 values, 256 for the `_k` types).

    Example: `!gemma.weight<[1024, 640], sfp>`.
  }];
  let parameters = (ins
    ArrayRefParameter<"int64_t", "dimensions, outermost first">:$shape,
    EnumParameter<Gemma_StorageType>:$storage
  );
  let assemblyFormat = "`<` `[` $shape `]` `,` $storage `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of stored elements.
    int64_t getNumElements() const;
  }];
}

#endif // GEMMA_TYPES_TD

//===- GemmaDialect.td - The gemma dialect -----------------*- tablegen -*-===//
//
// The model-level dialect: one op per step of the Gemma text decoder, with
// every model number as an attribute (docs/design.md section 3, docs/gemma-math.md).
//
//===----------------------------------------------------------------------===//

#ifndef GEMMA_DIALECT_TD
#define GEMMA_DIALECT_TD

include "mlir/IR/OpBase.td"

def Gemma_Dialect : Dialect {
  let name = "gemma";
  let cppNamespace = "::gemma::ir";
  let summary = "Model-level ops of the Gemma text decoders (generations 1-4)";
  let description = [{
    The `gemma` dialect expresses a Gemma text decoder as a dataflow graph of
    small, exactly specified ops on ranked f32 tensors with static shapes.
    Weights are module-level symbols (`gemma.param`) that ops read through a
    symbol reference, so passes can see which op reads which weight and in
    which storage type. Every model number (soft-cap, sliding window, RoPE
    base, linear scaling and rotated fraction, query scale, norm epsilon and
    convention) is an op attribute taken from the model config; nothing
    Gemma-specific is a constant in code.

    The builder emits only the unfused ops defined here. Their semantics are
    defined once, executably, by the reference evaluator (`compiler/reference`).

    Shape conventions: `N` is the number of token rows an op processes (the
    prompt chunk of a prefill function, or one token per sequence of a decode
    function), `H` query heads, `K` key/value heads, `D` the head dimension,
    `S` the slot count of a KV cache and `B` the number of sequences a KV cache
    holds.
  }];
  let useDefaultTypePrinterParser = 1;
}

class Gemma_Op<string mnemonic, list<Trait> traits = []>
    : Op<Gemma_Dialect, mnemonic, traits>;

#endif // GEMMA_DIALECT_TD

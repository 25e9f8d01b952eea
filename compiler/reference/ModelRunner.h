//===- ModelRunner.h - A built model run by the reference evaluator -*- C++
//-*-===//
//
// Owns the MLIR context and module of a model and runs its bucket functions
// with the interpreter: prefill in chunks of the prefill buckets, decode
// steps of B sequences. Caches are plain tensors the caller keeps, one K and
// one V per layer, so tests can compose batches from single sequences.
//
//===----------------------------------------------------------------------===//

#ifndef COMPILER_REFERENCE_MODELRUNNER_H
#define COMPILER_REFERENCE_MODELRUNNER_H

#include "compiler/builder/CacheLayout.h"
#include "compiler/reference/Interpreter.h"
#include "runtime/formats/ModelSpec.h"
#include "runtime/formats/ModelWeights.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <span>

namespace gemma::reference {

// K_0, V_0, K_1, V_1, ...: [B, slots, kv_heads, head_dim] each.
using KvCaches = std::vector<Tensor>;

class ModelRunner {
public:
  // `fusions` (names of passes/FusionPipeline.h) are applied to the built
  // module; fused ops run as the composition of their groups' kernels.
  static absl::StatusOr<std::unique_ptr<ModelRunner>>
  Create(const ModelSpec &spec, const ModelWeights &weights,
         WeightProvider provider, const BuildOptions &options,
         const std::vector<std::string> &fusions = {});

  const ModelSpec &spec() const { return spec_; }
  const CacheLayout &layout() const { return layout_; }
  mlir::ModuleOp module() { return *module_; }

  // Zero caches for `batch` sequences.
  KvCaches EmptyCaches(int64_t batch) const;

  // Runs `ids` at positions start, start + 1, ... through @prefill_T
  // functions: chunks of the largest bucket that fits what is left. Fails
  // when no bucket fits the rest, or past the context.
  absl::Status Prefill(std::span<const int32_t> ids, int32_t start,
                       KvCaches &caches);

  // One chunk of an image prompt (docs/vision.md) at positions start, start
  // + 1, ... through @prefill_image_T, T = ids.size() a prefill bucket:
  // `soft` [T, d] holds the soft tokens at the image tokens' rows (other rows
  // are not read). Returns every row's logits [T, vocab].
  absl::StatusOr<Tensor> PrefillImages(std::span<const int32_t> ids,
                                       int32_t start, const Tensor &soft,
                                       KvCaches &caches);
  // One token for each of B sequences (B a decode bucket) at its own
  // position; returns the logits [B, vocab].
  absl::StatusOr<Tensor> Decode(std::span<const int32_t> ids,
                                std::span<const int32_t> positions,
                                KvCaches &caches);

private:
  ModelRunner() = default;
  absl::StatusOr<std::vector<Value>> Run(const std::string &function,
                                         std::vector<Value> args);
  // A function returning logits then the caches: the caches go back into
  // `caches`, the logits are returned.
  absl::StatusOr<Tensor> RunForLogits(const std::string &function,
                                      std::vector<Value> args,
                                      KvCaches &caches);

  ModelSpec spec_;
  CacheLayout layout_;
  WeightProvider provider_;
  std::unique_ptr<mlir::MLIRContext> context_;
  mlir::OwningOpRef<mlir::ModuleOp> module_;
};

// Stacks the caches of single sequences into a batch; takes one back out.
KvCaches StackCaches(std::span<const KvCaches> sequences);
KvCaches SequenceOf(const KvCaches &batch, int64_t sequence);

} // namespace gemma::reference

#endif // COMPILER_REFERENCE_MODELRUNNER_H

//===- PlanSession.h - A loaded .plan with its weights ----------*- C++ -*-===//
//
// Opens a plan, finds its weight file (the path recorded relative to the
// plan) and checks its size and fingerprint, then runs the plan's programs
// on the backend the plan was compiled for (runtime/Backend.h). Each
// bucket's program is bound on first use and kept (the bucket cache). Prefill
// walks the prompt in chunks of the prefill buckets; a remainder shorter than
// every bucket is padded up to the smallest one when the context has room (the
// padding's cache entries lie ahead of every later query and are masked until
// overwritten), else fed through @decode_1 one token at a time.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_EXEC_PLANSESSION_H
#define RUNTIME_EXEC_PLANSESSION_H

#include "runtime/Backend.h"
#include "runtime/formats/SbsModel.h"
#include "runtime/plan/PlanFile.h"

#include <functional>
#include <map>
#include <memory>
#include <span>

namespace gemma {

class PlanSession {
public:
  // `device` ("cpu", "vulkan", "vulkan:N") runs the plan's programs on
  // another backend than the one it was compiled for ("" keeps that one).
  static absl::StatusOr<std::unique_ptr<PlanSession>>
  Open(const std::string &plan_path, int threads, bool verbose,
       const std::string &device = "");

  const plan::PlanMeta &meta() const { return plan_.meta; }
  const std::vector<plan::Program> &programs() const { return plan_.programs; }
  const ModelFile &weights() const { return *weights_; }
  const Backend &backend() const { return *backend_; }
  Backend &backend() { return *backend_; }

  // Zero caches for `batch` sequences, K and V per layer.
  std::unique_ptr<KvCaches> NewCaches(int64_t batch = 1) const;
  // Sequence `row` of caches made for `batch`, as one sequence's caches
  // (Prefill, Decode): where the backend has views (Backend::CacheRows).
  absl::StatusOr<std::unique_ptr<KvCaches>>
  SequenceCaches(KvCaches &caches, int64_t batch, int64_t row) {
    return CacheRows(caches, batch, row, 1);
  }
  // Sequences [first, first + count) of caches made for `batch`, as the
  // caches of a batch of `count` (Backend::CacheRows).
  absl::StatusOr<std::unique_ptr<KvCaches>>
  CacheRows(KvCaches &caches, int64_t batch, int64_t first, int64_t count);
  // Logits [B x vocab] for B sequences each at its own position, one new
  // token each, through @decode_B (B = ids.size(), a decode bucket of the
  // plan) on caches made for B sequences.
  absl::StatusOr<std::vector<float>>
  DecodeBatch(std::span<const int32_t> ids, std::span<const int32_t> positions,
              KvCaches &caches);
  // After each chunk, `progress(done, total)` (when given) is told the
  // tokens written so far; returning false stops there with a Cancelled
  // status. Either way `*done` (when given) is the count written: positions
  // start..start+done-1 hold them, in order, so the cache is consistent.
  absl::Status Prefill(std::span<const int32_t> ids, int32_t start,
                       KvCaches &caches,
                       const std::function<bool(size_t, size_t)> &progress = {},
                       size_t *done = nullptr);
  // Logits [vocab] for one token at `position`.
  absl::StatusOr<std::vector<float>> Decode(int32_t id, int32_t position,
                                            KvCaches &caches);
  // The greedy next id after `id` at `position`, chosen where the logits
  // are (on a GPU, only the id comes back).
  absl::StatusOr<int32_t> DecodeArgmax(int32_t id, int32_t position,
                                       KvCaches &caches);
  // The k likeliest next ids after `id` at `position` and their logits,
  // chosen where the logits are (on a GPU, only those come back).
  absl::StatusOr<TopCandidates> DecodeTopK(int32_t id, int32_t position,
                                           KvCaches &caches, int k);

private:
  PlanSession() = default;
  absl::Status CheckPosition(int32_t position) const;
  absl::StatusOr<BackendProgram *> Program(const std::string &name);
  absl::StatusOr<std::vector<float>> Run(const std::string &name,
                                         std::span<const int32_t> ids,
                                         std::span<const int32_t> positions,
                                         KvCaches &caches);

  plan::PlanFile plan_;
  std::unique_ptr<ModelFile> weights_;
  std::unique_ptr<Backend> backend_;
  bool verbose_ = false;
  std::map<std::string, std::unique_ptr<BackendProgram>> bound_;
};

} // namespace gemma

#endif // RUNTIME_EXEC_PLANSESSION_H

//===- PlanSession.cpp - A loaded .plan with its weights ------------------===//

#include "runtime/exec/PlanSession.h"
#include "runtime/formats/LoadModel.h"
#include "runtime/formats/MappedFile.h"

#include "runtime/exec/Backends.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <set>

namespace gemma {

absl::StatusOr<std::unique_ptr<PlanSession>>
PlanSession::Open(const std::string &plan_path, int threads, bool verbose,
                  const std::string &device) {
  absl::StatusOr<plan::PlanFile> plan = plan::ReadPlan(plan_path);
  if (!plan.ok())
    return plan.status();
  absl::StatusOr<std::unique_ptr<Backend>> backend =
      CreateBackend(device.empty() ? plan->meta.backend : device, threads);
  if (!backend.ok())
    return absl::Status(
        backend.status().code(),
        device.empty() ? fmt::format("{}: compiled for the '{}' backend: {}",
                                     plan_path, plan->meta.backend,
                                     std::string(backend.status().message()))
                       : fmt::format("--device {}: {}", device,
                                     std::string(backend.status().message())));
  namespace fs = std::filesystem;
  fs::path weights_path(plan->meta.weights_path);
  if (weights_path.is_relative())
    weights_path = fs::path(plan_path).parent_path() / weights_path;
  const std::string weights_name = plan->meta.weights_embedded
                                       ? plan_path + " (embedded weights)"
                                       : weights_path.string();
  absl::StatusOr<ModelFile> weights =
      plan->meta.weights_embedded
          ? LoadModelFileFromBytes(plan->embedded_weights, weights_name)
          : LoadModelFile(weights_path.string());
  if (!weights.ok())
    return absl::Status(weights.status().code(),
                        fmt::format("{}: its weights: {}", plan_path,
                                    std::string(weights.status().message())));
  if (weights->file_bytes != plan->meta.weights_size ||
      weights->fingerprint != plan->meta.weights_fingerprint)
    return absl::FailedPreconditionError(fmt::format(
        "{}: {} is not the weight file this plan was compiled from (size or "
        "fingerprint differs): compile the plan again",
        plan_path, weights_name));
  std::unique_ptr<PlanSession> session(new PlanSession());
  session->backend_ = *std::move(backend);
  session->plan_ = *std::move(plan);
  session->weights_ = std::make_unique<ModelFile>(*std::move(weights));
  // Weights read whole are paged in now, not during the first steps; a
  // table only gathered from (Gemma 4's per-layer embeddings, larger than
  // the rest of an E2B model) stays mapped, each step paging in its
  // token's row.
  std::set<std::string> read_whole;
  for (const plan::Program &program : session->plan_.programs)
    for (const plan::Call &call : program.calls)
      if (call.kernel != plan::Kernel::kEmbed)
        read_whole.insert(call.weights.begin(), call.weights.end());
  for (const auto &[name, tensor] : session->weights_->tensors)
    if (read_whole.contains(name))
      PopulateMapping(tensor.bytes);
  session->verbose_ = verbose;
  return session;
}

std::unique_ptr<KvCaches> PlanSession::NewCaches(int64_t batch) const {
  std::vector<int64_t> elements;
  for (const plan::LayerCacheShape &c : plan_.meta.caches)
    for (int kv = 0; kv < 2; ++kv)
      elements.push_back(batch * int64_t(c.slots) * c.kv_heads * c.head_dim);
  return backend_->NewCaches(elements);
}

absl::StatusOr<std::unique_ptr<KvCaches>>
PlanSession::CacheRows(KvCaches &caches, int64_t batch, int64_t first,
                       int64_t count) {
  return backend_->CacheRows(caches, batch, first, count);
}

absl::StatusOr<std::vector<float>>
PlanSession::DecodeBatch(std::span<const int32_t> ids,
                         std::span<const int32_t> positions, KvCaches &caches) {
  if (ids.size() != positions.size() || ids.empty())
    return absl::InvalidArgumentError(
        fmt::format("{} ids for {} positions", ids.size(), positions.size()));
  for (int32_t p : positions)
    if (absl::Status s = CheckPosition(p); !s.ok())
      return s;
  return Run(fmt::format("decode_{}", ids.size()), ids, positions, caches);
}

absl::StatusOr<BackendProgram *> PlanSession::Program(const std::string &name) {
  auto it = bound_.find(name);
  if (it != bound_.end())
    return it->second.get();
  for (const plan::Program &program : plan_.programs) {
    if (program.name != name)
      continue;
    const ModelFile &model = *weights_;
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<std::unique_ptr<BackendProgram>> executor =
        backend_->Compile(
            program,
            [&](const std::string &tensor) -> absl::StatusOr<StoredTensor> {
              const WeightTensor *t = model.Find(tensor);
              if (!t)
                return absl::NotFoundError(
                    fmt::format("no tensor '{}' in the weight file", tensor));
              return StoredTensor{t->type, t->bytes, int64_t(t->rows),
                                  int64_t(t->cols), t->scale};
            });
    if (!executor.ok())
      return executor.status();
    // The time includes a GPU backend's pipeline builds (the pipeline
    // cache's effect shows here).
    if (verbose_) {
      const std::string note = (*executor)->Note();
      std::fprintf(
          stderr,
          "gemma-exec: bound @%s on %s (%zu kernel calls, arena %.1f KB) in "
          "%.2f s%s%s\n",
          name.c_str(), backend_->name().c_str(), program.calls.size(),
          double(program.arena_elements) * 4 / 1024,
          std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                        start)
              .count(),
          note.empty() ? "" : ": ", note.c_str());
    }
    return (bound_[name] = *std::move(executor)).get();
  }
  return absl::NotFoundError(fmt::format("the plan has no @{}", name));
}

absl::StatusOr<std::vector<float>>
PlanSession::Run(const std::string &name, std::span<const int32_t> ids,
                 std::span<const int32_t> positions, KvCaches &caches) {
  absl::StatusOr<BackendProgram *> program = Program(name);
  if (!program.ok())
    return program.status();
  return (*program)->Run(ids, positions, caches);
}

absl::Status PlanSession::Prefill(
    std::span<const int32_t> ids, int32_t start, KvCaches &caches,
    const std::function<bool(size_t, size_t)> &progress, size_t *done_out) {
  const std::vector<int64_t> &buckets = plan_.meta.prefill_buckets;
  size_t done = 0;
  size_t scratch = 0;
  size_t &written = done_out ? *done_out : scratch;
  written = 0;
  while (done < ids.size()) {
    written = done;
    if (progress && done > 0 && !progress(done, ids.size()))
      return absl::CancelledError(
          fmt::format("interrupted after {} of {} tokens", done, ids.size()));
    const int64_t left = int64_t(ids.size() - done);
    const int32_t at = start + int32_t(done);
    int64_t t = 0;
    for (int64_t b : buckets)
      if (b <= left)
        t = b;
    int64_t padded = t;
    if (t == 0)
      for (int64_t b : buckets)
        if (b > left && uint64_t(at) + uint64_t(b) <= plan_.meta.context) {
          padded = b;
          break;
        }
    if (padded == 0) {
      // No bucket fits: one token at a time.
      absl::StatusOr<std::vector<float>> logits = Decode(ids[done], at, caches);
      if (!logits.ok())
        return logits.status();
      ++done;
      continue;
    }
    const int64_t real = std::min(padded, left);
    std::vector<int32_t> chunk(ids.begin() + done, ids.begin() + done + real);
    std::vector<int32_t> positions(static_cast<size_t>(padded));
    chunk.resize(size_t(padded), 0); // padding: token 0 after the prompt
    for (int64_t i = 0; i < padded; ++i)
      positions[i] = at + int32_t(i);
    absl::StatusOr<std::vector<float>> out =
        Run(fmt::format("prefill_{}", padded), chunk, positions, caches);
    if (!out.ok())
      return out.status();
    done += size_t(real);
  }
  written = done;
  if (progress)
    progress(done, ids.size());
  return absl::OkStatus();
}

absl::Status PlanSession::CheckPosition(int32_t position) const {
  if (position < 0 || uint32_t(position) >= plan_.meta.context)
    return absl::OutOfRangeError(
        fmt::format("position {} is past the context of {} positions", position,
                    plan_.meta.context));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>>
PlanSession::Decode(int32_t id, int32_t position, KvCaches &caches) {
  if (absl::Status s = CheckPosition(position); !s.ok())
    return s;
  return Run("decode_1", {&id, 1}, {&position, 1}, caches);
}

absl::StatusOr<TopCandidates>
PlanSession::DecodeTopK(int32_t id, int32_t position, KvCaches &caches, int k) {
  if (absl::Status s = CheckPosition(position); !s.ok())
    return s;
  absl::StatusOr<BackendProgram *> program = Program("decode_1");
  if (!program.ok())
    return program.status();
  return (*program)->RunTopK({&id, 1}, {&position, 1}, caches, k);
}

absl::StatusOr<int32_t> PlanSession::DecodeArgmax(int32_t id, int32_t position,
                                                  KvCaches &caches) {
  if (absl::Status s = CheckPosition(position); !s.ok())
    return s;
  absl::StatusOr<BackendProgram *> program = Program("decode_1");
  if (!program.ok())
    return program.status();
  absl::StatusOr<std::vector<int32_t>> chosen =
      (*program)->RunArgmax({&id, 1}, {&position, 1}, caches);
  if (!chosen.ok())
    return chosen.status();
  if (chosen->size() != 1)
    return absl::InternalError("decode_1 gave no logits");
  return chosen->front();
}

} // namespace gemma

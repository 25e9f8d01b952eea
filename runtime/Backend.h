//===- Backend.h - What every execution backend provides --------*- C++ -*-===//
//
// A backend runs plan programs (runtime/plan/PlanProgram.h) on one kind of
// device: it owns the device's memory for KV caches and binds each bucket
// program to its kernels and the model's weights once (the runtime keeps
// the bound programs: the bucket cache). The CPU backend is
// runtime/cpu/CpuBackend; GPU backends implement the same three calls.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_BACKEND_H
#define RUNTIME_BACKEND_H

#include "runtime/plan/KernelParams.h"
#include "runtime/plan/PlanProgram.h"
#include "runtime/weights/StoredType.h"

#include "absl/status/statusor.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace gemma {

// A model weight as stored in the weight file: rows of `cols` values in
// `type`, multiplied by `scale` on decode. Backends decode it in their
// kernels (or upload the bytes as they are); they never get f32 copies.
struct StoredTensor {
  StoredType type = StoredType::kUnknown;
  std::span<const uint8_t> bytes;
  int64_t rows = 0;
  int64_t cols = 0;
  float scale = 1.0f;
};
using WeightSource =
    std::function<absl::StatusOr<StoredTensor>(const std::string &name)>;

// One sequence's KV caches in the backend's memory: K then V for each
// layer, in the order of the programs' cache arguments.
class KvCaches {
public:
  virtual ~KvCaches() = default;
};

// The k likeliest ids of each row of logits, likeliest first.
struct TopCandidates {
  int k = 0;
  std::vector<int32_t> ids;  // rows x k
  std::vector<float> logits; // rows x k
};

// Per row of `logits` (rows x width), the k largest, ties to the lowest id
// (the order Sampler and std::max_element use).
inline TopCandidates HostTopK(std::span<const float> logits, size_t rows,
                              int k) {
  TopCandidates top;
  top.k = k;
  if (rows == 0 || logits.empty())
    return top;
  const size_t width = logits.size() / rows;
  std::vector<int32_t> order(width);
  for (size_t r = 0; r < rows; ++r) {
    const float *row = logits.data() + r * width;
    for (size_t i = 0; i < width; ++i)
      order[i] = int32_t(i);
    const size_t n = std::min(width, size_t(k));
    std::partial_sort(order.begin(), order.begin() + long(n), order.end(),
                      [&](int32_t a, int32_t b) {
                        return row[a] > row[b] || (row[a] == row[b] && a < b);
                      });
    for (size_t i = 0; i < n; ++i) {
      top.ids.push_back(order[i]);
      top.logits.push_back(row[order[i]]);
    }
  }
  return top;
}

// A bucket program bound to a backend's kernels and weights.
class BackendProgram {
public:
  virtual ~BackendProgram() = default;
  // What binding did, for --verbose ("cubin from disk ..."); "" if nothing
  // worth saying.
  virtual std::string Note() const { return ""; }
  // Runs the program with its first two arguments `ids` and `positions`
  // over `caches` (updated in place). Returns the program's first result
  // when it is not a cache (the logits of a decode program, rows x vocab),
  // else an empty vector.
  virtual absl::StatusOr<std::vector<float>>
  Run(std::span<const int32_t> ids, std::span<const int32_t> positions,
      KvCaches &caches) = 0;

  // Run, then per row of the logits the id of the largest (the lowest id
  // among equal maxima): greedy decoding. GPU backends pick it on the
  // device and copy back only the ids.
  virtual absl::StatusOr<std::vector<int32_t>>
  RunArgmax(std::span<const int32_t> ids, std::span<const int32_t> positions,
            KvCaches &caches) {
    absl::StatusOr<std::vector<float>> logits = Run(ids, positions, caches);
    if (!logits.ok())
      return logits.status();
    std::vector<int32_t> chosen;
    if (ids.empty() || logits->empty())
      return chosen;
    const size_t width = logits->size() / ids.size();
    for (size_t r = 0; r < ids.size(); ++r) {
      const auto row = logits->begin() + long(r * width);
      chosen.push_back(int32_t(std::max_element(row, row + long(width)) - row));
    }
    return chosen;
  }

  // Run, then per row of the logits the k largest with their logits
  // (HostTopK's order): top-k sampling draws from them. GPU backends choose
  // them on the device and copy back only those.
  virtual absl::StatusOr<TopCandidates>
  RunTopK(std::span<const int32_t> ids, std::span<const int32_t> positions,
          KvCaches &caches, int k) {
    absl::StatusOr<std::vector<float>> logits = Run(ids, positions, caches);
    if (!logits.ok())
      return logits.status();
    return HostTopK(*logits, ids.size(), k);
  }
};

// Where a backend's time went, per kernel, while profiling was on.
struct KernelProfile {
  std::string kernel;
  uint64_t calls = 0;
  double seconds = 0;
  uint64_t weight_bytes = 0; // stored weight bytes the calls read
};

// The stored weight bytes one call reads, for the profile's GB/s: each
// distinct weight once (q, k and v, or gate and up, may be row ranges of
// one stacked tensor), an embedding one row per id. `find(name)` gives a
// weight's type, rows and cols (anything with those members, through a
// pointer or an optional), or a null or empty one when there is none.
template <class Find>
uint64_t CallWeightBytes(const plan::Call &call, const Find &find) {
  uint64_t bytes = 0;
  for (size_t k = 0; k < call.weights.size(); ++k) {
    const std::string &name = call.weights[k];
    if (name.empty() ||
        std::find(call.weights.begin(), call.weights.begin() + long(k), name) !=
            call.weights.begin() + long(k))
      continue;
    const auto w = find(name);
    if (!w)
      continue;
    const uint64_t row = PackedBytes(w->type, uint64_t(w->cols));
    uint64_t rows = uint64_t(w->rows);
    if (call.kernel == plan::Kernel::kEmbed)
      if (absl::StatusOr<plan::EmbedParams> p =
              plan::DecodeParams<plan::EmbedParams>(call);
          p.ok())
        rows = uint64_t(p->n); // one row per id
    bytes += rows * row;
  }
  return bytes;
}

// Per-kernel totals (indexed by plan::Kernel) as Backend::Profile returns
// them: the kernels that ran, busiest first.
inline std::vector<KernelProfile>
SortedKernelProfiles(std::span<const uint64_t> calls,
                     std::span<const double> seconds,
                     std::span<const uint64_t> weight_bytes) {
  std::vector<KernelProfile> out;
  for (uint32_t k = 0; k < plan::kKernelCount && k < calls.size(); ++k)
    if (calls[k])
      out.push_back({plan::KernelName(static_cast<plan::Kernel>(k)), calls[k],
                     seconds[k], weight_bytes[k]});
  std::sort(out.begin(), out.end(),
            [](const auto &a, const auto &b) { return a.seconds > b.seconds; });
  return out;
}

class Backend {
public:
  virtual ~Backend() = default;
  // The name plans are compiled for ("cpu").
  virtual std::string name() const = 0;
  // One line for --verbose: the device and how it is used.
  virtual std::string Describe() const = 0;
  // Zeroed caches of `elements[i]` f32 values each.
  virtual std::unique_ptr<KvCaches>
  NewCaches(std::span<const int64_t> elements) = 0;
  // Sequences [first, first + count) of caches made for `batch` sequences
  // (each array [batch, ...], the sequence outermost), as caches of a
  // `count`-sequence program: a server keeps one batch of caches for its
  // decode steps and prefills each sequence in its own rows. The view
  // lives no longer than `caches`. Backends without views say so.
  virtual absl::StatusOr<std::unique_ptr<KvCaches>>
  CacheRows(KvCaches &caches, int64_t batch, int64_t first, int64_t count) {
    (void)caches, (void)batch, (void)first, (void)count;
    return absl::UnimplementedError(fmt::format(
        "not supported yet: sequences of a batch of caches on {}", name()));
  }
  // Validates `program` and binds it; fails naming a missing weight or one
  // whose shape or type the program cannot use.
  virtual absl::StatusOr<std::unique_ptr<BackendProgram>>
  Compile(const plan::Program &program, const WeightSource &weights) = 0;
  // Times every kernel call of every Run from now on (off by default: it
  // costs a clock read per call). Backends that cannot say nothing.
  virtual void SetProfiling(bool on) { (void)on; }
  // Totals since profiling was turned on, busiest kernel first.
  virtual std::vector<KernelProfile> Profile() const { return {}; }
  // A GPU backend's device ("NVIDIA H200 (compute 9.0)") and its memory
  // bandwidth in GB/s measured now: the roofline `gemma-exec --bench`
  // holds decode against. "" and 0 where the host's memory is the one read.
  virtual std::string DeviceName() const { return ""; }
  virtual double MeasureBandwidth() { return 0; }
};

// A backend as the registry (runtime/exec/Backends.cpp) knows it: tools,
// sessions and tests find backends there by name, never by comparing
// strings of their own.
struct BackendRegistration {
  // "cpu", "vulkan", "cuda", "cuda-sim".
  std::string name;
  // The name in messages: "CPU", "Vulkan", "CUDA", "CUDA emulator".
  std::string title;
  // The backend a plan is compiled for to run here: the name itself, or
  // another backend's whose programs it runs (cuda-sim runs cuda's).
  std::string plan_target;
  // "name:N" picks device N of the lines `devices` gives.
  bool numbered = false;
  // One line per device ("vulkan:0: llvmpipe ..."), or one saying why
  // there is none (none for the CPU, which tools describe themselves).
  std::function<std::vector<std::string>()> devices;
  // Device `device` (0 where not numbered) with `threads` host threads;
  // one line when this machine lacks it.
  std::function<absl::StatusOr<std::unique_ptr<Backend>>(int device,
                                                         int threads)>
      create;
};

} // namespace gemma

#endif // RUNTIME_BACKEND_H

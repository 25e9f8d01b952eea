//===- CpuBackend.cpp - The CPU behind the Backend interface --------------===//

#include "runtime/cpu/CpuBackend.h"

#include "kernels/cpu/Vector.h"
#include "runtime/cpu/CpuExecutor.h"

#include <fmt/format.h>

#include <sys/mman.h>

#include <algorithm>
#include <memory>
#include <new>

namespace gemma::cpu {
namespace {

// A KV cache in fresh anonymous pages: the kernel maps them zeroed on
// first touch, so a long context costs memory only as far as it is used
// (a zero-filled vector would make every slot resident up front).
class ZeroPages {
public:
  explicit ZeroPages(int64_t floats)
      : bytes_(std::max<size_t>(1, size_t(floats) * sizeof(float))),
        data_(mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) {
    if (data_ == MAP_FAILED)
      throw std::bad_alloc();
  }
  ZeroPages(const ZeroPages &) = delete;
  ZeroPages &operator=(const ZeroPages &) = delete;
  ~ZeroPages() { munmap(data_, bytes_); }
  float *data() const { return static_cast<float *>(data_); }

private:
  size_t bytes_;
  void *data_;
};

// The arrays a program reads (`data`), owned (`buffers`) or a view of
// another CpuCaches' rows.
struct CpuCaches : KvCaches {
  std::vector<std::unique_ptr<ZeroPages>> buffers;
  std::vector<float *> data;
  std::vector<int64_t> elements;
};

class CpuProgram : public BackendProgram {
public:
  CpuProgram(std::unique_ptr<CpuExecutor> executor, ThreadPool &pool,
             CpuExecutor::Profile *const &profile)
      : executor_(std::move(executor)), pool_(pool), profile_(profile) {}

  absl::StatusOr<std::vector<float>> Run(std::span<const int32_t> ids,
                                         std::span<const int32_t> positions,
                                         KvCaches &caches) override {
    std::vector<void *> args = {const_cast<int32_t *>(ids.data()),
                                const_cast<int32_t *>(positions.data())};
    for (float *cache : static_cast<CpuCaches &>(caches).data)
      args.push_back(cache);
    std::vector<std::vector<float>> results;
    if (absl::Status s = executor_->Run(pool_, args, &results, profile_);
        !s.ok())
      return s;
    if (results.empty())
      return std::vector<float>();
    return std::move(results.front());
  }

private:
  std::unique_ptr<CpuExecutor> executor_;
  ThreadPool &pool_;
  // The backend's profile while profiling is on, else null.
  CpuExecutor::Profile *const &profile_;
};

class CpuBackend : public Backend {
public:
  explicit CpuBackend(int threads) : pool_(threads) {}

  std::string name() const override { return "cpu"; }
  std::string Describe() const override {
    return fmt::format("cpu: {} threads, {}", pool_.threads(), VectorTarget());
  }
  std::unique_ptr<KvCaches>
  NewCaches(std::span<const int64_t> elements) override {
    auto caches = std::make_unique<CpuCaches>();
    for (int64_t n : elements) {
      caches->buffers.push_back(std::make_unique<ZeroPages>(n));
      caches->data.push_back(caches->buffers.back()->data());
      caches->elements.push_back(n);
    }
    return caches;
  }
  absl::StatusOr<std::unique_ptr<KvCaches>> CacheRows(KvCaches &caches,
                                                      int64_t batch,
                                                      int64_t first,
                                                      int64_t count) override {
    const CpuCaches &all = static_cast<CpuCaches &>(caches);
    if (batch < 1 || first < 0 || count < 1 || first + count > batch)
      return absl::InvalidArgumentError(fmt::format(
          "sequences [{}, {}) of a batch of {}", first, first + count, batch));
    auto view = std::make_unique<CpuCaches>();
    for (size_t i = 0; i < all.data.size(); ++i) {
      if (all.elements[i] % batch != 0)
        return absl::InvalidArgumentError(fmt::format(
            "a cache of {} values is no batch of {}", all.elements[i], batch));
      const int64_t row = all.elements[i] / batch;
      view->data.push_back(all.data[i] + first * row);
      view->elements.push_back(count * row);
    }
    return view;
  }
  absl::StatusOr<std::unique_ptr<BackendProgram>>
  Compile(const plan::Program &program, const WeightSource &weights) override {
    absl::StatusOr<std::unique_ptr<CpuExecutor>> executor = CpuExecutor::Create(
        program, [&](const std::string &name) -> absl::StatusOr<WeightView> {
          absl::StatusOr<StoredTensor> t = weights(name);
          if (!t.ok())
            return t.status();
          return WeightView{t->type, t->bytes.data(), t->rows, t->cols,
                            t->scale};
        });
    if (!executor.ok())
      return executor.status();
    return std::make_unique<CpuProgram>(*std::move(executor), pool_,
                                        profiling_);
  }
  void SetProfiling(bool on) override {
    profile_ = CpuExecutor::Profile();
    profiling_ = on ? &profile_ : nullptr;
  }
  std::vector<KernelProfile> Profile() const override {
    return SortedKernelProfiles(profile_.calls, profile_.seconds,
                                profile_.weight_bytes);
  }

private:
  ThreadPool pool_;
  CpuExecutor::Profile profile_;
  CpuExecutor::Profile *profiling_ = nullptr;
};

} // namespace

std::unique_ptr<Backend> CreateCpuBackend(int threads) {
  return std::make_unique<CpuBackend>(threads);
}

BackendRegistration CpuRegistration() {
  return {.name = "cpu",
          .title = "CPU",
          .plan_target = "cpu",
          .numbered = false,
          .devices = [] { return std::vector<std::string>(); },
          .create =
              [](int, int threads) -> absl::StatusOr<std::unique_ptr<Backend>> {
            return CreateCpuBackend(threads);
          }};
}

} // namespace gemma::cpu

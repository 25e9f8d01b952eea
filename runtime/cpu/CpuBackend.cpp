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

struct CpuCaches : KvCaches {
  std::vector<std::unique_ptr<ZeroPages>> buffers;
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
    for (const auto &cache : static_cast<CpuCaches &>(caches).buffers)
      args.push_back(cache->data());
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
    for (int64_t n : elements)
      caches->buffers.push_back(std::make_unique<ZeroPages>(n));
    return caches;
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

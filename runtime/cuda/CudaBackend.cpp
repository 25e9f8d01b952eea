//===- CudaBackend.cpp - Plan programs on an NVIDIA GPU -------------------===//

#include "runtime/cuda/CudaBackend.h"
#include "runtime/cuda/CudaDriver.h"

#include "runtime/cuda/Gpu.h"
#include "runtime/cuda/Lowering.h"
#include "runtime/gpu/KernelTimes.h"
#include "runtime/gpu/RunInputs.h"
#include "runtime/weights/codecs/Sfp.h"

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <map>

namespace gemma::cuda {
namespace {

using plan::Call;

using gpu::KernelTimes;

// Device memory freed with its owner; the Gpu outlives every holder.
struct DeviceBuffer {
  std::shared_ptr<Gpu> gpu;
  DevicePtr pointer = 0;
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  ~DeviceBuffer() {
    if (gpu && pointer)
      gpu->Free(pointer);
  }
};

absl::Status Allocate(const std::shared_ptr<Gpu> &gpu, DeviceBuffer &buffer,
                      uint64_t bytes) {
  absl::StatusOr<DevicePtr> p = gpu->Alloc(bytes);
  if (!p.ok())
    return p.status();
  buffer.gpu = gpu;
  buffer.pointer = *p;
  return absl::OkStatus();
}

struct CudaCaches : KvCaches {
  uint64_t id = 0;
  std::vector<int64_t> elements;
  DeviceBuffer buffer;
};

bool GraphsOn() {
  const char *v = std::getenv("GEMMA_CUDA_GRAPH");
  return !(v && std::string(v) == "0");
}

class CudaProgram : public BackendProgram {
public:
  static absl::StatusOr<std::unique_ptr<CudaProgram>>
  Create(std::shared_ptr<Gpu> gpu, const WeightTable &weights, DevicePtr lut,
         const plan::Program &program, KernelTimes *const &profile) {
    std::unique_ptr<CudaProgram> p(new CudaProgram(gpu, lut, profile));
    absl::StatusOr<LoweredProgram> lowered = LowerProgram(weights, program);
    if (!lowered.ok())
      return lowered.status();
    p->lowered_ = *std::move(lowered);
    p->arg_elements_ = program.arg_elements;
    int64_t at = 0;
    for (size_t a = 2; a < program.arg_elements.size(); ++a) {
      p->cache_offsets_.push_back(at);
      at += program.arg_elements[a];
    }
    // The program's kernels, with the greedy pick (top-1) among them.
    std::vector<KernelShape> shapes = p->lowered_.shapes;
    const int64_t rows = program.arg_elements[0];
    if (p->HasLogits()) {
      auto [shape, launch] = TopKLaunch(p->lowered_, rows, 1);
      launch.kernel = uint32_t(shapes.size());
      shapes.push_back(shape);
      p->top1_ = launch;
    }
    CompileReport report;
    absl::StatusOr<std::unique_ptr<Module>> module =
        gpu->Compile(shapes, report);
    if (!module.ok())
      return absl::Status(module.status().code(),
                          fmt::format("{}: {}", program.name,
                                      std::string(module.status().message())));
    p->module_ = *std::move(module);
    static const char *const from[] = {"module in memory", "cubin from disk",
                                       "compiled by NVRTC",
                                       "run by the emulator"};
    p->note_ = fmt::format(
        "{} launches of {} kernels, {} in {:.2f} s{}",
        p->lowered_.launches.size(), shapes.size(), from[int(report.from)],
        report.seconds,
        report.cache_file.empty() ? "" : " (" + report.cache_file + ")");
    for (auto [buffer, bytes] :
         {std::pair(&p->arena_, uint64_t(p->lowered_.arena_elements) * 4),
          std::pair(&p->ids_, uint64_t(program.arg_elements[0]) * 4),
          std::pair(&p->positions_, uint64_t(program.arg_elements[1]) * 4),
          std::pair(&p->params_, uint64_t(p->lowered_.params.size() + 1) * 4)})
      if (absl::Status s = Allocate(gpu, *buffer, bytes); !s.ok())
        return s;
    if (!p->lowered_.params.empty())
      if (absl::Status s =
              gpu->Upload(p->params_.pointer, p->lowered_.params.data(),
                          p->lowered_.params.size() * 4);
          !s.ok())
        return s;
    return p;
  }

  std::string Note() const override { return note_; }

  absl::StatusOr<std::vector<float>> Run(std::span<const int32_t> ids,
                                         std::span<const int32_t> positions,
                                         KvCaches &kv) override {
    std::vector<float> logits(HasLogits() ? size_t(lowered_.output->elements)
                                          : 0);
    std::vector<HostCopy> out;
    if (HasLogits())
      out.push_back({logits.data(), Address(*lowered_.output, nullptr),
                     logits.size() * 4});
    if (absl::Status s = Execute(ids, positions, kv, 0, out); !s.ok())
      return s;
    return logits;
  }

  absl::StatusOr<std::vector<int32_t>>
  RunArgmax(std::span<const int32_t> ids, std::span<const int32_t> positions,
            KvCaches &kv) override {
    if (!HasLogits())
      return BackendProgram::RunArgmax(ids, positions, kv);
    std::vector<int32_t> chosen(ids.size());
    const std::vector<HostCopy> out = {{chosen.data(),
                                        Address(lowered_.topk_ids, nullptr),
                                        chosen.size() * 4}};
    if (absl::Status s = Execute(ids, positions, kv, 1, out); !s.ok())
      return s;
    return chosen;
  }

  absl::StatusOr<TopCandidates> RunTopK(std::span<const int32_t> ids,
                                        std::span<const int32_t> positions,
                                        KvCaches &kv, int k) override {
    const int64_t width =
        HasLogits() ? lowered_.output->elements / int64_t(ids.size()) : 0;
    if (!HasLogits() || k < 1 || k > kMaxDeviceTopK || k > width)
      return BackendProgram::RunTopK(ids, positions, kv, k);
    TopCandidates top;
    top.k = k;
    top.ids.resize(ids.size() * size_t(k));
    top.logits.resize(ids.size() * size_t(k));
    const std::vector<HostCopy> out = {
        {top.ids.data(), Address(lowered_.topk_ids, nullptr),
         top.ids.size() * 4},
        {top.logits.data(), Address(lowered_.topk_values, nullptr),
         top.logits.size() * 4}};
    if (absl::Status s = Execute(ids, positions, kv, k, out); !s.ok())
      return s;
    return top;
  }

private:
  CudaProgram(std::shared_ptr<Gpu> gpu, DevicePtr lut,
              KernelTimes *const &profile)
      : gpu_(std::move(gpu)), lut_(lut), profile_(profile) {}

  bool HasLogits() const {
    return lowered_.output && arg_elements_[0] > 0 &&
           lowered_.output->elements % arg_elements_[0] == 0;
  }

  // The device address of `b`: the arena's, or the caches'.
  DevicePtr Address(const plan::Buffer &b, const CudaCaches *caches) const {
    if (b.arg < 0)
      return arena_.pointer + uint64_t(b.offset) * 4;
    return caches->buffer.pointer +
           uint64_t(cache_offsets_[size_t(b.arg - 2)] + b.offset) * 4;
  }

  gk::KernelArgs Args(const PendingLaunch &l, const CudaCaches &caches) const {
    gk::KernelArgs a{};
    for (size_t k = 0; k < l.operands.size(); ++k)
      a.op[k] = Address(l.operands[k], &caches);
    a.ids = ids_.pointer;
    a.positions = positions_.pointer;
    a.weight = l.weight;
    a.weight2 = l.weight2;
    a.wscale2 = l.wscale2;
    a.lut = lut_;
    a.params = params_.pointer;
    a.wscale = l.wscale;
    return a;
  }

  // A recording of the program's launches, then (mode k > 0) the top-k of
  // its logits, for one cache set.
  struct Replay {
    uint64_t caches = 0;
    bool timed = false;
    std::unique_ptr<Recording> recording;
    std::vector<const PendingLaunch *> launches; // for --profile
  };

  absl::Status Execute(std::span<const int32_t> ids,
                       std::span<const int32_t> positions, KvCaches &kv,
                       int mode, std::span<const HostCopy> out) {
    auto &caches = static_cast<CudaCaches &>(kv);
    if (absl::Status s = gpu::CheckRunInputs(ids, positions, arg_elements_,
                                             caches.elements, lowered_.vocab);
        !s.ok())
      return s;
    const bool timed = profile_ != nullptr;
    Replay &replay = replays_[mode];
    if (!replay.recording || replay.caches != caches.id ||
        replay.timed != timed)
      if (absl::Status s = Prepare(replay, caches, mode, timed); !s.ok())
        return s;
    const HostCopy in[] = {
        {const_cast<int32_t *>(ids.data()), ids_.pointer, ids.size() * 4},
        {const_cast<int32_t *>(positions.data()), positions_.pointer,
         positions.size() * 4}};
    std::vector<double> seconds;
    if (absl::Status s =
            gpu_->Run(*replay.recording, in, out, timed ? &seconds : nullptr);
        !s.ok())
      return s;
    if (timed)
      for (size_t i = 0; i < seconds.size() && i < replay.launches.size();
           ++i) {
        const PendingLaunch &l = *replay.launches[i];
        profile_->Add(l.call, seconds[i], l.first, l.weight_bytes);
      }
    return absl::OkStatus();
  }

  absl::Status Prepare(Replay &replay, const CudaCaches &caches, int mode,
                       bool timed) {
    replay = Replay();
    std::vector<LaunchArgs> launches;
    for (const PendingLaunch &l : lowered_.launches) {
      launches.push_back({module_.get(), l.kernel, l.blocks, Args(l, caches)});
      replay.launches.push_back(&l);
    }
    if (mode == 1) {
      launches.push_back(
          {module_.get(), top1_.kernel, top1_.blocks, Args(top1_, caches)});
      replay.launches.push_back(&top1_);
    } else if (mode > 1) {
      TopKModule &t = topk_[mode];
      if (!t.module) {
        auto [shape, launch] = TopKLaunch(lowered_, arg_elements_[0], mode);
        CompileReport report;
        absl::StatusOr<std::unique_ptr<Module>> module =
            gpu_->Compile({&shape, 1}, report);
        if (!module.ok())
          return module.status();
        t.module = *std::move(module);
        t.launch = launch;
      }
      launches.push_back(
          {t.module.get(), 0, t.launch.blocks, Args(t.launch, caches)});
      replay.launches.push_back(&t.launch);
    }
    absl::StatusOr<std::unique_ptr<Recording>> rec =
        gpu_->Record(std::move(launches), GraphsOn() && !timed);
    if (!rec.ok())
      return rec.status();
    replay.recording = *std::move(rec);
    replay.caches = caches.id;
    replay.timed = timed;
    return absl::OkStatus();
  }

  struct TopKModule {
    std::unique_ptr<Module> module;
    PendingLaunch launch;
  };

  std::shared_ptr<Gpu> gpu_;
  DevicePtr lut_ = 0;
  KernelTimes *const &profile_;
  LoweredProgram lowered_;
  std::vector<int64_t> arg_elements_, cache_offsets_;
  std::unique_ptr<Module> module_;
  PendingLaunch top1_;
  std::map<int, TopKModule> topk_;
  DeviceBuffer arena_, ids_, positions_, params_;
  std::map<int, Replay> replays_; // by mode: 0 logits, k top-k
  std::string note_;
};

class CudaBackend : public gpu::ProfiledBackend {
public:
  CudaBackend(std::shared_ptr<Gpu> gpu, std::string name)
      : gpu_(std::move(gpu)), name_(std::move(name)) {}

  std::string name() const override { return name_; }
  std::string Describe() const override {
    if (!gpu_->has_graphs())
      return gpu_->Describe();
    return fmt::format("{}; CUDA graphs {}", gpu_->Describe(),
                       GraphsOn() ? "on" : "off (GEMMA_CUDA_GRAPH=0)");
  }

  std::string DeviceName() const override { return gpu_->DeviceName(); }
  double MeasureBandwidth() override { return gpu_->MeasureBandwidth(); }

  std::unique_ptr<KvCaches>
  NewCaches(std::span<const int64_t> elements) override {
    auto caches = std::make_unique<CudaCaches>();
    caches->id = ++next_caches_id_;
    caches->elements.assign(elements.begin(), elements.end());
    int64_t total = 0;
    for (int64_t n : elements)
      total += n;
    if (!Allocate(gpu_, caches->buffer, uint64_t(total) * 4).ok())
      throw std::bad_alloc();
    return caches;
  }

  absl::StatusOr<std::unique_ptr<BackendProgram>>
  Compile(const plan::Program &program, const WeightSource &weights) override {
    if (absl::Status s = plan::ValidateProgram(program); !s.ok())
      return s;
    if (absl::Status s = EnsureLut(); !s.ok())
      return s;
    for (const Call &call : program.calls)
      for (const std::string &name : call.weights)
        if (absl::Status s = Ensure(name, weights); !s.ok())
          return absl::Status(s.code(), fmt::format("{}: {}", program.name,
                                                    std::string(s.message())));
    absl::StatusOr<std::unique_ptr<CudaProgram>> bound =
        CudaProgram::Create(gpu_, weights_, lut_.pointer, program, profiling());
    if (!bound.ok())
      return bound.status();
    return std::unique_ptr<BackendProgram>(*std::move(bound));
  }

private:
  absl::Status EnsureLut() {
    if (lut_.pointer)
      return absl::OkStatus();
    float table[256];
    for (int code = 0; code < 256; ++code)
      table[code] = SfpDecode(uint8_t(code));
    if (absl::Status s = Allocate(gpu_, lut_, sizeof(table)); !s.ok())
      return s;
    return gpu_->Upload(lut_.pointer, table, sizeof(table));
  }

  // Uploads weight `name` as stored, once.
  absl::Status Ensure(const std::string &name, const WeightSource &source) {
    if (name.empty() || weights_.contains(name))
      return absl::OkStatus();
    absl::StatusOr<StoredTensor> t = source(name);
    if (!t.ok())
      return t.status();
    absl::StatusOr<gpu::GpuWeight> weight = gpu::WeightOf(name, *t, "cuda");
    if (!weight.ok())
      return weight.status();
    Stored st{*std::move(weight), 0};
    auto buffer = std::make_unique<DeviceBuffer>();
    // Padded to 16 bytes: the kernels read dense rows 16 bytes at a time.
    if (absl::Status s =
            Allocate(gpu_, *buffer, (t->bytes.size() + 15) / 16 * 16);
        !s.ok())
      return absl::Status(s.code(), fmt::format("weight '{}': {}", name,
                                                std::string(s.message())));
    if (absl::Status s =
            gpu_->Upload(buffer->pointer, t->bytes.data(), t->bytes.size());
        !s.ok())
      return s;
    st.pointer = buffer->pointer;
    buffers_.push_back(std::move(buffer));
    weights_[name] = std::move(st);
    return absl::OkStatus();
  }

  std::shared_ptr<Gpu> gpu_;
  std::string name_;
  DeviceBuffer lut_;
  WeightTable weights_;
  std::vector<std::unique_ptr<DeviceBuffer>> buffers_;
  uint64_t next_caches_id_ = 0;
};

} // namespace

absl::StatusOr<std::unique_ptr<Backend>> CreateCudaBackend(int device) {
  absl::StatusOr<std::unique_ptr<Gpu>> gpu = CreateDriverGpu(device);
  if (!gpu.ok())
    return gpu.status();
  return std::unique_ptr<Backend>(std::make_unique<CudaBackend>(
      std::shared_ptr<Gpu>(*std::move(gpu)), "cuda"));
}

std::unique_ptr<Backend> CreateCudaSimBackend() {
  return std::make_unique<CudaBackend>(std::shared_ptr<Gpu>(CreateSimGpu()),
                                       "cuda-sim");
}

namespace {

// The driver's GPUs, or why there are none.
std::vector<std::string> CudaDeviceLines() {
  absl::StatusOr<std::unique_ptr<Driver>> driver = Driver::Load();
  absl::StatusOr<std::vector<GpuInfo>> gpus =
      driver.ok() ? (*driver)->Devices()
                  : absl::StatusOr<std::vector<GpuInfo>>(driver.status());
  if (!gpus.ok())
    return {
        fmt::format("cuda: none ({})", std::string(gpus.status().message()))};
  std::vector<std::string> lines;
  for (const GpuInfo &gpu : *gpus)
    lines.push_back(fmt::format(
        "cuda:{}: {} (compute {}.{}, {:.1f} of {:.1f} GiB free, driver "
        "{}.{})",
        gpu.index, gpu.name, gpu.major, gpu.minor,
        double(gpu.free_bytes) / double(1ull << 30),
        double(gpu.total_bytes) / double(1ull << 30),
        (*driver)->version() / 1000, (*driver)->version() % 1000 / 10));
  return lines;
}

} // namespace

BackendRegistration CudaRegistration() {
  return {.name = "cuda",
          .title = "CUDA",
          .plan_target = "cuda",
          .numbered = true,
          .devices = CudaDeviceLines,
          .create = [](int device, int) { return CreateCudaBackend(device); }};
}

BackendRegistration CudaSimRegistration() {
  return {.name = "cuda-sim",
          .title = "CUDA emulator",
          .plan_target = "cuda",
          .numbered = false,
          .devices =
              [] {
                return std::vector<std::string>{
                    "cuda-sim: the CUDA kernels emulated on the CPU (for "
                    "testing without a GPU; slow)"};
              },
          .create = [](int, int) -> absl::StatusOr<std::unique_ptr<Backend>> {
            return CreateCudaSimBackend();
          }};
}

} // namespace gemma::cuda

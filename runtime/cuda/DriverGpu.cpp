//===- DriverGpu.cpp - The CUDA backend's device through the driver -------===//
//
// One GPU's primary context and one non-blocking stream. Modules come from
// memory, then the cubin cache on disk, then NVRTC. A recording is either
// its launches (replayed one by one) or a CUDA graph captured from them
// once and instantiated: one cuGraphLaunch per run instead of one
// cuLaunchKernel per call, which is what decode's many small kernels need.

#include "runtime/CacheDirectory.h"
#include "runtime/cuda/CubinCache.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/cuda/Gpu.h"
#include "runtime/cuda/Nvrtc.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>

namespace gemma::cuda {
namespace {

struct DriverModule : Module {
  const DriverApi *api = nullptr;
  CUmodule module = nullptr;
  std::vector<CUfunction> functions;
  std::vector<unsigned> blocks; // threads per block of each entry point
  ~DriverModule() override {
    if (module)
      api->cuModuleUnload(module);
  }
};

struct DriverRecording : Recording {
  const DriverApi *api = nullptr;
  std::vector<LaunchArgs> launches;
  CUgraph graph = nullptr;
  CUgraphExec exec = nullptr;
  ~DriverRecording() override {
    if (exec)
      api->cuGraphExecDestroy(exec);
    if (graph)
      api->cuGraphDestroy(graph);
  }
};

class DriverGpu : public Gpu {
public:
  static absl::StatusOr<std::unique_ptr<DriverGpu>> Create(int index) {
    absl::StatusOr<std::unique_ptr<Driver>> driver = Driver::Load();
    if (!driver.ok())
      return driver.status();
    absl::StatusOr<std::vector<GpuInfo>> gpus = (*driver)->Devices();
    if (!gpus.ok())
      return gpus.status();
    if (index < 0 || size_t(index) >= gpus->size())
      return absl::NotFoundError(fmt::format(
          "no CUDA device {} (this machine has {})", index, gpus->size()));
    if (absl::Status s = (*driver)->RequireCompute(); !s.ok())
      return s;
    absl::StatusOr<std::unique_ptr<Nvrtc>> nvrtc = Nvrtc::Load();
    if (!nvrtc.ok())
      return nvrtc.status();
    std::unique_ptr<DriverGpu> gpu(new DriverGpu());
    gpu->info_ = (*gpus)[size_t(index)];
    gpu->driver_ = *std::move(driver);
    gpu->nvrtc_ = *std::move(nvrtc);
    const DriverApi &a = gpu->api();
    if (CUresult r = a.cuDeviceGet(&gpu->device_, index); r != kSuccess)
      return gpu->Fail("cuDeviceGet", r);
    if (CUresult r = a.cuDevicePrimaryCtxRetain(&gpu->context_, gpu->device_);
        r != kSuccess)
      return gpu->Fail("cuDevicePrimaryCtxRetain", r);
    if (CUresult r = a.cuCtxSetCurrent(gpu->context_); r != kSuccess)
      return gpu->Fail("cuCtxSetCurrent", r);
    if (CUresult r = a.cuStreamCreate(&gpu->stream_, kStreamNonBlocking);
        r != kSuccess)
      return gpu->Fail("cuStreamCreate", r);
    gpu->arch_ = gpu->info_.major * 10 + gpu->info_.minor;
    int sms = 0, clock_khz = 0, bus_bits = 0;
    a.cuDeviceGetAttribute(&sms, kAttributeMultiprocessors, gpu->device_);
    a.cuDeviceGetAttribute(&clock_khz, kAttributeMemoryClockKhz, gpu->device_);
    a.cuDeviceGetAttribute(&bus_bits, kAttributeBusWidthBits, gpu->device_);
    gpu->sms_ = sms;
    // Double data rate: two transfers per clock over the bus.
    gpu->peak_bandwidth_ = 2.0 * double(clock_khz) * 1e3 * double(bus_bits) / 8;
    const std::string dir = CacheDirectory();
    gpu->cache_ =
        std::make_unique<CubinCache>(dir.empty() ? "" : dir + "/cuda");
    return gpu;
  }

  ~DriverGpu() override {
    if (!driver_)
      return;
    const DriverApi &a = api();
    a.cuCtxSetCurrent(context_);
    for (auto &[pointer, bytes] : allocations_)
      a.cuMemFree(pointer);
    if (stream_)
      a.cuStreamDestroy(stream_);
    if (context_)
      a.cuDevicePrimaryCtxRelease(device_);
  }

  std::string Describe() const override {
    return fmt::format(
        "cuda:{}: {} (compute {}.{}, {} SMs, {:.1f} GiB, {:.0f} GB/s peak), "
        "driver {}.{}, NVRTC {} ({})",
        info_.index, info_.name, info_.major, info_.minor, sms_,
        double(info_.total_bytes) / double(1ull << 30), peak_bandwidth_ / 1e9,
        driver_->version() / 1000, driver_->version() % 1000 / 10,
        nvrtc_->version(), nvrtc_->path());
  }

  std::string DeviceName() const override {
    return fmt::format("{} (compute {}.{})", info_.name, info_.major,
                       info_.minor);
  }

  // The best of 5 device-to-device copies of 256 MiB: each byte is read
  // once and written once.
  double MeasureBandwidth() override {
    Current();
    constexpr size_t kBytes = size_t(256) << 20;
    CUdeviceptr from = 0, to = 0;
    CUevent start = nullptr, stop = nullptr;
    double best = 0;
    if (api().cuMemAlloc(&from, kBytes) == kSuccess &&
        api().cuMemAlloc(&to, kBytes) == kSuccess &&
        api().cuEventCreate(&start, 0) == kSuccess &&
        api().cuEventCreate(&stop, 0) == kSuccess)
      for (int pass = 0; pass < 5; ++pass) {
        float ms = 0;
        api().cuEventRecord(start, stream_);
        api().cuMemcpyDtoDAsync(to, from, kBytes, stream_);
        api().cuEventRecord(stop, stream_);
        if (api().cuEventSynchronize(stop) != kSuccess ||
            api().cuEventElapsedTime(&ms, start, stop) != kSuccess || ms <= 0)
          break;
        best = std::max(best, 2.0 * double(kBytes) / (double(ms) * 1e-3) / 1e9);
      }
    for (CUevent e : {start, stop})
      if (e)
        api().cuEventDestroy(e);
    for (CUdeviceptr p : {from, to})
      if (p)
        api().cuMemFree(p);
    return best;
  }

  absl::StatusOr<DevicePtr> Alloc(uint64_t bytes) override {
    Current();
    CUdeviceptr p = 0;
    const uint64_t size = std::max<uint64_t>(bytes, 4);
    if (CUresult r = api().cuMemAlloc(&p, size); r != kSuccess)
      return absl::ResourceExhaustedError(
          fmt::format("cuda: {:.1f} MB of GPU memory: {}", double(bytes) / 1e6,
                      api().Error(r)));
    if (CUresult r = api().cuMemsetD8(p, 0, size); r != kSuccess) {
      api().cuMemFree(p);
      return Fail("cuMemsetD8", r);
    }
    allocations_[p] = size;
    return DevicePtr(p);
  }

  void Free(DevicePtr pointer) override {
    Current();
    if (allocations_.erase(pointer))
      api().cuMemFree(pointer);
  }

  absl::Status Upload(DevicePtr to, const void *from, size_t bytes) override {
    Current();
    if (CUresult r = api().cuMemcpyHtoD(to, from, bytes); r != kSuccess)
      return Fail("cuMemcpyHtoD", r);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Module>>
  Compile(std::span<const KernelShape> shapes, CompileReport &report) override {
    Current();
    const auto start = std::chrono::steady_clock::now();
    const std::string source = ModuleSource(shapes);
    const std::string key =
        CubinCache::Key(source, arch_, driver_->version(), nvrtc_->version());
    report.cache_file = cache_->PathOf(key);
    std::string cubin;
    // NVRTC's image, stored for the next run (a cache that cannot be
    // written costs that run a compile, no more).
    const auto compile = [&]() -> absl::Status {
      absl::StatusOr<std::string> compiled =
          nvrtc_->CompileCubin(source, key + ".cu", arch_);
      if (!compiled.ok())
        return compiled.status();
      cubin = *std::move(compiled);
      report.from = CompileReport::From::kCompiled;
      (void)cache_->Store(key, cubin);
      return absl::OkStatus();
    };
    if (auto it = memory_.find(key); it != memory_.end()) {
      cubin = it->second;
      report.from = CompileReport::From::kMemory;
    } else if (std::optional<std::string> disk = cache_->Load(key)) {
      cubin = *std::move(disk);
      report.from = CompileReport::From::kDisk;
    } else if (absl::Status s = compile(); !s.ok()) {
      return s;
    }
    absl::StatusOr<std::unique_ptr<DriverModule>> module = Load(cubin, shapes);
    if (!module.ok() && report.from != CompileReport::From::kCompiled) {
      // A cached image the driver refuses: compile afresh, once.
      if (absl::Status s = compile(); !s.ok())
        return s;
      module = Load(cubin, shapes);
    }
    if (!module.ok())
      return module.status();
    memory_[key] = std::move(cubin);
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    return std::unique_ptr<Module>(*std::move(module));
  }

  absl::StatusOr<std::unique_ptr<Recording>>
  Record(std::vector<LaunchArgs> launches, bool graph) override {
    Current();
    auto rec = std::make_unique<DriverRecording>();
    rec->api = &api();
    rec->launches = std::move(launches);
    for (const LaunchArgs &l : rec->launches)
      if (!l.module ||
          l.kernel >=
              static_cast<const DriverModule *>(l.module)->functions.size())
        return absl::InternalError("cuda: a launch of no kernel");
    if (graph) {
      if (CUresult r =
              api().cuStreamBeginCapture(stream_, kCaptureModeThreadLocal);
          r != kSuccess)
        return Fail("cuStreamBeginCapture", r);
      absl::Status launched = LaunchAll(*rec, nullptr);
      CUgraph captured = nullptr;
      const CUresult ended = api().cuStreamEndCapture(stream_, &captured);
      rec->graph = captured;
      if (!launched.ok())
        return launched;
      if (ended != kSuccess)
        return Fail("cuStreamEndCapture", ended);
      if (CUresult r = api().cuGraphInstantiate(&rec->exec, rec->graph, 0);
          r != kSuccess)
        return Fail("cuGraphInstantiate", r);
    }
    return std::unique_ptr<Recording>(std::move(rec));
  }

  absl::Status Run(Recording &recording, std::span<const HostCopy> in,
                   std::span<const HostCopy> out,
                   std::vector<double> *launch_seconds) override {
    Current();
    auto &rec = static_cast<DriverRecording &>(recording);
    for (const HostCopy &c : in)
      if (CUresult r =
              api().cuMemcpyHtoDAsync(c.device, c.host, c.bytes, stream_);
          r != kSuccess)
        return Fail("cuMemcpyHtoDAsync", r);
    if (rec.exec && !launch_seconds) {
      if (CUresult r = api().cuGraphLaunch(rec.exec, stream_); r != kSuccess)
        return Fail("cuGraphLaunch", r);
    } else if (absl::Status s = LaunchAll(rec, launch_seconds); !s.ok()) {
      return s;
    }
    for (const HostCopy &c : out)
      if (CUresult r =
              api().cuMemcpyDtoHAsync(c.host, c.device, c.bytes, stream_);
          r != kSuccess)
        return Fail("cuMemcpyDtoHAsync", r);
    if (CUresult r = api().cuStreamSynchronize(stream_); r != kSuccess)
      return Fail("running the kernels", r);
    return absl::OkStatus();
  }

private:
  DriverGpu() = default;
  const DriverApi &api() const { return driver_->api(); }
  void Current() const { api().cuCtxSetCurrent(context_); }
  absl::Status Fail(const char *what, CUresult r) const {
    return absl::InternalError(
        fmt::format("cuda: {} failed: {}", what, api().Error(r)));
  }

  absl::StatusOr<std::unique_ptr<DriverModule>>
  Load(const std::string &cubin, std::span<const KernelShape> shapes) {
    auto module = std::make_unique<DriverModule>();
    module->api = &api();
    if (CUresult r = api().cuModuleLoadData(&module->module, cubin.data());
        r != kSuccess)
      return Fail("cuModuleLoadData", r);
    for (size_t i = 0; i < shapes.size(); ++i) {
      CUfunction f = nullptr;
      if (CUresult r = api().cuModuleGetFunction(&f, module->module,
                                                 EntryName(i).c_str());
          r != kSuccess)
        return Fail("cuModuleGetFunction", r);
      module->functions.push_back(f);
      module->blocks.push_back(unsigned(shapes[i].block));
    }
    return module;
  }

  // Launches every kernel of `rec` on the stream; with `seconds`, between
  // events, waiting for each.
  absl::Status LaunchAll(DriverRecording &rec, std::vector<double> *seconds) {
    CUevent before = nullptr, after = nullptr;
    if (seconds) {
      seconds->assign(rec.launches.size(), 0.0);
      if (api().cuEventCreate(&before, 0) != kSuccess ||
          api().cuEventCreate(&after, 0) != kSuccess)
        return absl::InternalError("cuda: cuEventCreate failed");
    }
    absl::Status status = absl::OkStatus();
    for (size_t i = 0; i < rec.launches.size() && status.ok(); ++i) {
      LaunchArgs &l = rec.launches[i];
      const unsigned x = std::min<unsigned>(std::max(l.blocks, 1u), 65535u);
      const unsigned y = (std::max(l.blocks, 1u) + x - 1) / x;
      void *params[] = {&l.args};
      if (seconds)
        api().cuEventRecord(before, stream_);
      const auto &module = *static_cast<const DriverModule *>(l.module);
      if (CUresult r = api().cuLaunchKernel(module.functions[l.kernel], x, y, 1,
                                            module.blocks[l.kernel], 1, 1, 0,
                                            stream_, params, nullptr);
          r != kSuccess)
        status = Fail("cuLaunchKernel", r);
      if (seconds && status.ok()) {
        api().cuEventRecord(after, stream_);
        float ms = 0;
        if (CUresult r = api().cuEventSynchronize(after); r != kSuccess)
          status = Fail("running a kernel", r);
        else if (api().cuEventElapsedTime(&ms, before, after) == kSuccess)
          (*seconds)[i] = double(ms) * 1e-3;
      }
    }
    if (before)
      api().cuEventDestroy(before);
    if (after)
      api().cuEventDestroy(after);
    return status;
  }

private:
  GpuInfo info_;
  std::unique_ptr<Driver> driver_;
  std::unique_ptr<Nvrtc> nvrtc_;
  std::unique_ptr<CubinCache> cache_;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  CUstream stream_ = nullptr;
  int arch_ = 0, sms_ = 0;
  double peak_bandwidth_ = 0;
  std::map<DevicePtr, uint64_t> allocations_;
  std::map<std::string, std::string> memory_; // key -> cubin
};

} // namespace

absl::StatusOr<std::unique_ptr<Gpu>> CreateDriverGpu(int device) {
  absl::StatusOr<std::unique_ptr<DriverGpu>> gpu = DriverGpu::Create(device);
  if (!gpu.ok())
    return gpu.status();
  return std::unique_ptr<Gpu>(*std::move(gpu));
}

} // namespace gemma::cuda

//===- CudaDriver.cpp - The CUDA driver API, loaded at run time -----------===//

#include "runtime/cuda/CudaDriver.h"

#include <fmt/format.h>

#include <dlfcn.h>

#include <cstdlib>

namespace gemma::cuda {

std::string DriverApi::Error(CUresult r) const {
  const char *name = nullptr;
  if (cuGetErrorName && cuGetErrorName(r, &name) == kSuccess && name)
    return fmt::format("{} ({})", name, r);
  return fmt::format("CUDA error {}", r);
}

namespace {

template <typename F> bool Resolve(void *handle, const char *symbol, F &out) {
  out = reinterpret_cast<F>(dlsym(handle, symbol));
  return out != nullptr;
}

} // namespace

absl::StatusOr<std::unique_ptr<Driver>>
Driver::Load(const std::string &library) {
  std::string path = library;
  if (path.empty()) {
    const char *env = std::getenv("GEMMA_CUDA_DRIVER");
    path = env && *env ? env : "libcuda.so.1";
  }
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    return absl::UnavailableError(
        fmt::format("no CUDA driver ({})", why ? why : path));
  }
  std::unique_ptr<Driver> driver(new Driver());
  driver->handle_ = handle;
  driver->api_ = std::make_unique<DriverApi>();
  DriverApi &a = *driver->api_;
  driver->path_ = path;
  // The _v2 entry points are the ones cuda.h maps the plain names to.
  const std::pair<const char *, bool> symbols[] = {
      {"cuInit", Resolve(handle, "cuInit", a.cuInit)},
      {"cuDriverGetVersion",
       Resolve(handle, "cuDriverGetVersion", a.cuDriverGetVersion)},
      {"cuDeviceGetCount",
       Resolve(handle, "cuDeviceGetCount", a.cuDeviceGetCount)},
      {"cuDeviceGet", Resolve(handle, "cuDeviceGet", a.cuDeviceGet)},
      {"cuDeviceGetName",
       Resolve(handle, "cuDeviceGetName", a.cuDeviceGetName)},
      {"cuDeviceGetAttribute",
       Resolve(handle, "cuDeviceGetAttribute", a.cuDeviceGetAttribute)},
      {"cuDeviceTotalMem_v2",
       Resolve(handle, "cuDeviceTotalMem_v2", a.cuDeviceTotalMem)},
      {"cuDevicePrimaryCtxRetain",
       Resolve(handle, "cuDevicePrimaryCtxRetain", a.cuDevicePrimaryCtxRetain)},
      {"cuDevicePrimaryCtxRelease_v2",
       Resolve(handle, "cuDevicePrimaryCtxRelease_v2",
               a.cuDevicePrimaryCtxRelease)},
      {"cuCtxSetCurrent",
       Resolve(handle, "cuCtxSetCurrent", a.cuCtxSetCurrent)},
      {"cuMemGetInfo_v2", Resolve(handle, "cuMemGetInfo_v2", a.cuMemGetInfo)},
      {"cuGetErrorName", Resolve(handle, "cuGetErrorName", a.cuGetErrorName)},
  };
  for (const auto &[name, found] : symbols)
    if (!found)
      return absl::UnavailableError(
          fmt::format("the CUDA driver {} has no '{}' (too old?)", path, name));
  // What running kernels needs; a driver without it can still list GPUs.
  const std::pair<const char *, bool> compute[] = {
      {"cuMemAlloc_v2", Resolve(handle, "cuMemAlloc_v2", a.cuMemAlloc)},
      {"cuMemFree_v2", Resolve(handle, "cuMemFree_v2", a.cuMemFree)},
      {"cuMemsetD8_v2", Resolve(handle, "cuMemsetD8_v2", a.cuMemsetD8)},
      {"cuMemcpyHtoD_v2", Resolve(handle, "cuMemcpyHtoD_v2", a.cuMemcpyHtoD)},
      {"cuMemcpyDtoH_v2", Resolve(handle, "cuMemcpyDtoH_v2", a.cuMemcpyDtoH)},
      {"cuMemcpyDtoDAsync_v2",
       Resolve(handle, "cuMemcpyDtoDAsync_v2", a.cuMemcpyDtoDAsync)},
      {"cuMemcpyHtoDAsync_v2",
       Resolve(handle, "cuMemcpyHtoDAsync_v2", a.cuMemcpyHtoDAsync)},
      {"cuMemcpyDtoHAsync_v2",
       Resolve(handle, "cuMemcpyDtoHAsync_v2", a.cuMemcpyDtoHAsync)},
      {"cuModuleLoadData",
       Resolve(handle, "cuModuleLoadData", a.cuModuleLoadData)},
      {"cuModuleUnload", Resolve(handle, "cuModuleUnload", a.cuModuleUnload)},
      {"cuModuleGetFunction",
       Resolve(handle, "cuModuleGetFunction", a.cuModuleGetFunction)},
      {"cuLaunchKernel", Resolve(handle, "cuLaunchKernel", a.cuLaunchKernel)},
      {"cuStreamCreate", Resolve(handle, "cuStreamCreate", a.cuStreamCreate)},
      {"cuStreamDestroy_v2",
       Resolve(handle, "cuStreamDestroy_v2", a.cuStreamDestroy)},
      {"cuStreamSynchronize",
       Resolve(handle, "cuStreamSynchronize", a.cuStreamSynchronize)},
      {"cuStreamBeginCapture_v2",
       Resolve(handle, "cuStreamBeginCapture_v2", a.cuStreamBeginCapture)},
      {"cuStreamEndCapture",
       Resolve(handle, "cuStreamEndCapture", a.cuStreamEndCapture)},
      {"cuGraphInstantiateWithFlags",
       Resolve(handle, "cuGraphInstantiateWithFlags", a.cuGraphInstantiate)},
      {"cuGraphLaunch", Resolve(handle, "cuGraphLaunch", a.cuGraphLaunch)},
      {"cuGraphExecDestroy",
       Resolve(handle, "cuGraphExecDestroy", a.cuGraphExecDestroy)},
      {"cuGraphDestroy", Resolve(handle, "cuGraphDestroy", a.cuGraphDestroy)},
      {"cuEventCreate", Resolve(handle, "cuEventCreate", a.cuEventCreate)},
      {"cuEventRecord", Resolve(handle, "cuEventRecord", a.cuEventRecord)},
      {"cuEventSynchronize",
       Resolve(handle, "cuEventSynchronize", a.cuEventSynchronize)},
      {"cuEventElapsedTime",
       Resolve(handle, "cuEventElapsedTime_v2", a.cuEventElapsedTime) ||
           Resolve(handle, "cuEventElapsedTime", a.cuEventElapsedTime)},
      {"cuEventDestroy_v2",
       Resolve(handle, "cuEventDestroy_v2", a.cuEventDestroy)},
  };
  for (const auto &[name, found] : compute)
    if (!found && driver->missing_compute_.empty())
      driver->missing_compute_ = name;
  if (CUresult r = a.cuInit(0); r != kSuccess) {
    if (r == kNoDevice)
      return absl::UnavailableError("no CUDA device (the driver found none)");
    if (r == kStubLibrary)
      return absl::UnavailableError(fmt::format(
          "no CUDA driver ({} is the toolkit's stub library)", path));
    return absl::UnavailableError(
        fmt::format("the CUDA driver failed to start: {}", a.Error(r)));
  }
  if (CUresult r = a.cuDriverGetVersion(&driver->version_); r != kSuccess)
    return absl::UnavailableError(
        fmt::format("cuDriverGetVersion failed: {}", a.Error(r)));
  return driver;
}

Driver::~Driver() {
  if (handle_)
    dlclose(handle_);
}

absl::Status Driver::RequireCompute() const {
  if (missing_compute_.empty())
    return absl::OkStatus();
  return absl::UnavailableError(
      fmt::format("the CUDA driver {} has no '{}' (too old to run kernels?)",
                  path_, missing_compute_));
}

absl::StatusOr<std::vector<GpuInfo>> Driver::Devices() const {
  const DriverApi &a = *api_;
  int count = 0;
  if (CUresult r = a.cuDeviceGetCount(&count); r != kSuccess)
    return absl::UnavailableError(
        fmt::format("cuDeviceGetCount failed: {}", a.Error(r)));
  if (count <= 0)
    return absl::UnavailableError("no CUDA device (the driver found none)");
  std::vector<GpuInfo> gpus;
  for (int i = 0; i < count; ++i) {
    CUdevice device = 0;
    char name[256] = {};
    GpuInfo info;
    info.index = i;
    size_t total = 0;
    if (CUresult r = a.cuDeviceGet(&device, i); r != kSuccess)
      return absl::UnavailableError(
          fmt::format("cuDeviceGet({}) failed: {}", i, a.Error(r)));
    if (a.cuDeviceGetName(name, int(sizeof(name) - 1), device) != kSuccess ||
        a.cuDeviceGetAttribute(&info.major, kAttributeMajor, device) !=
            kSuccess ||
        a.cuDeviceGetAttribute(&info.minor, kAttributeMinor, device) !=
            kSuccess ||
        a.cuDeviceTotalMem(&total, device) != kSuccess)
      return absl::UnavailableError(
          fmt::format("CUDA device {} does not describe itself", i));
    info.name = name;
    info.total_bytes = total;
    // Free memory needs a context: the primary one, released again.
    CUcontext context = nullptr;
    if (a.cuDevicePrimaryCtxRetain(&context, device) == kSuccess) {
      size_t free = 0, all = 0;
      if (a.cuCtxSetCurrent(context) == kSuccess &&
          a.cuMemGetInfo(&free, &all) == kSuccess)
        info.free_bytes = free;
      a.cuCtxSetCurrent(nullptr);
      a.cuDevicePrimaryCtxRelease(device);
    }
    gpus.push_back(std::move(info));
  }
  return gpus;
}

} // namespace gemma::cuda

//===- Nvrtc.cpp - NVRTC, loaded at run time ------------------------------===//

#include "runtime/cuda/Nvrtc.h"

#include <fmt/format.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>

namespace gemma::cuda {

// nvrtc.h's C ABI, for the calls we make.
using nvrtcResult = int;
using nvrtcProgram = void *;
constexpr nvrtcResult kNvrtcSuccess = 0;

struct Nvrtc::Api {
  const char *(*GetErrorString)(nvrtcResult) = nullptr;
  nvrtcResult (*Version)(int *, int *) = nullptr;
  nvrtcResult (*GetNumSupportedArchs)(int *) = nullptr;
  nvrtcResult (*GetSupportedArchs)(int *) = nullptr;
  nvrtcResult (*CreateProgram)(nvrtcProgram *, const char *, const char *, int,
                               const char *const *,
                               const char *const *) = nullptr;
  nvrtcResult (*DestroyProgram)(nvrtcProgram *) = nullptr;
  nvrtcResult (*CompileProgram)(nvrtcProgram, int,
                                const char *const *) = nullptr;
  nvrtcResult (*GetProgramLogSize)(nvrtcProgram, size_t *) = nullptr;
  nvrtcResult (*GetProgramLog)(nvrtcProgram, char *) = nullptr;
  nvrtcResult (*GetCUBINSize)(nvrtcProgram, size_t *) = nullptr;
  nvrtcResult (*GetCUBIN)(nvrtcProgram, char *) = nullptr;

  std::string Error(nvrtcResult r) const {
    const char *s = GetErrorString ? GetErrorString(r) : nullptr;
    return s ? std::string(s) : fmt::format("NVRTC error {}", r);
  }
};

namespace {

template <typename F> bool Resolve(void *handle, const char *symbol, F &out) {
  out = reinterpret_cast<F>(dlsym(handle, symbol));
  return out != nullptr;
}

std::vector<std::string> Candidates(const std::string &library) {
  if (!library.empty())
    return {library};
  if (const char *env = std::getenv("GEMMA_NVRTC"); env && *env)
    return {env};
  std::vector<std::string> out;
#ifdef GEMMA_NVRTC_LIBRARY
  out.push_back(GEMMA_NVRTC_LIBRARY);
#endif
  for (const char *name :
       {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"})
    out.push_back(name);
  return out;
}

} // namespace

absl::StatusOr<std::unique_ptr<Nvrtc>> Nvrtc::Load(const std::string &library) {
  void *handle = nullptr;
  std::string path, first_error;
  for (const std::string &candidate : Candidates(library)) {
    handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle) {
      path = candidate;
      break;
    }
    if (first_error.empty()) {
      const char *why = dlerror();
      first_error = why ? why : candidate;
    }
  }
  if (!handle)
    return absl::UnavailableError(fmt::format(
        "no NVRTC, the CUDA runtime compiler ({}; the CUDA toolkit has it, "
        "or set GEMMA_NVRTC to its libnvrtc.so)",
        first_error));
  std::unique_ptr<Nvrtc> n(new Nvrtc());
  n->handle_ = handle;
  n->path_ = path;
  n->api_ = std::make_unique<Api>();
  Api &a = *n->api_;
  const std::pair<const char *, bool> symbols[] = {
      {"nvrtcGetErrorString",
       Resolve(handle, "nvrtcGetErrorString", a.GetErrorString)},
      {"nvrtcVersion", Resolve(handle, "nvrtcVersion", a.Version)},
      {"nvrtcGetNumSupportedArchs",
       Resolve(handle, "nvrtcGetNumSupportedArchs", a.GetNumSupportedArchs)},
      {"nvrtcGetSupportedArchs",
       Resolve(handle, "nvrtcGetSupportedArchs", a.GetSupportedArchs)},
      {"nvrtcCreateProgram",
       Resolve(handle, "nvrtcCreateProgram", a.CreateProgram)},
      {"nvrtcDestroyProgram",
       Resolve(handle, "nvrtcDestroyProgram", a.DestroyProgram)},
      {"nvrtcCompileProgram",
       Resolve(handle, "nvrtcCompileProgram", a.CompileProgram)},
      {"nvrtcGetProgramLogSize",
       Resolve(handle, "nvrtcGetProgramLogSize", a.GetProgramLogSize)},
      {"nvrtcGetProgramLog",
       Resolve(handle, "nvrtcGetProgramLog", a.GetProgramLog)},
      {"nvrtcGetCUBINSize",
       Resolve(handle, "nvrtcGetCUBINSize", a.GetCUBINSize)},
      {"nvrtcGetCUBIN", Resolve(handle, "nvrtcGetCUBIN", a.GetCUBIN)}};
  for (const auto &[name, found] : symbols)
    if (!found)
      return absl::UnavailableError(fmt::format(
          "{} has no {}: NVRTC 11.2 or newer is needed", path, name));
  if (nvrtcResult r = a.Version(&n->major_, &n->minor_); r != kNvrtcSuccess)
    return absl::UnavailableError(
        fmt::format("nvrtcVersion failed: {}", a.Error(r)));
  int count = 0;
  if (a.GetNumSupportedArchs(&count) == kNvrtcSuccess && count > 0) {
    n->archs_.resize(size_t(count));
    if (a.GetSupportedArchs(n->archs_.data()) != kNvrtcSuccess)
      n->archs_.clear();
  }
  return n;
}

// NVRTC stays loaded for the process: it keeps allocations of its own
// until exit (LeakSanitizer reports them, by module name only while the
// library is still mapped), and unloading it buys nothing.
Nvrtc::~Nvrtc() = default;

std::string Nvrtc::version() const {
  return fmt::format("{}.{}", major_, minor_);
}

absl::StatusOr<std::string> Nvrtc::CompileCubin(const std::string &source,
                                                const std::string &name,
                                                int arch) const {
  if (!archs_.empty() &&
      std::find(archs_.begin(), archs_.end(), arch) == archs_.end())
    return absl::UnimplementedError(fmt::format(
        "NVRTC {} cannot compile for sm_{} (it knows sm_{} to sm_{})",
        version(), arch, archs_.front(), archs_.back()));
  const Api &a = *api_;
  nvrtcProgram program = nullptr;
  if (nvrtcResult r = a.CreateProgram(&program, source.c_str(), name.c_str(), 0,
                                      nullptr, nullptr);
      r != kNvrtcSuccess)
    return absl::InternalError(
        fmt::format("nvrtcCreateProgram: {}", a.Error(r)));
  const std::string gpu = fmt::format("--gpu-architecture=sm_{}", arch);
  // No fast math: the kernels' expf/tanhf/division stay IEEE-accurate, as
  // the CPU backend's are (the 1e-2 parity budget is for summation order).
  const char *options[] = {gpu.c_str(), "--std=c++17"};
  const nvrtcResult compiled =
      a.CompileProgram(program, int(std::size(options)), options);
  std::string log;
  size_t log_size = 0;
  if (a.GetProgramLogSize(program, &log_size) == kNvrtcSuccess &&
      log_size > 1) {
    log.resize(log_size);
    a.GetProgramLog(program, log.data());
    log.resize(log_size - 1);
  }
  std::string cubin;
  if (compiled == kNvrtcSuccess) {
    size_t size = 0;
    if (nvrtcResult r = a.GetCUBINSize(program, &size); r == kNvrtcSuccess) {
      cubin.resize(size);
      if (nvrtcResult g = a.GetCUBIN(program, cubin.data()); g != kNvrtcSuccess)
        cubin.clear();
    }
  }
  a.DestroyProgram(&program);
  if (compiled != kNvrtcSuccess) {
    // The first lines say what broke; the rest repeats it.
    std::string head;
    int lines = 0;
    for (size_t at = 0; at < log.size() && lines < 12; ++lines) {
      const size_t end = std::min(log.find('\n', at), log.size());
      head += log.substr(at, end - at) + "\n";
      at = end + 1;
    }
    return absl::InternalError(
        fmt::format("NVRTC {} failed to compile {} for sm_{}: {}\n{}",
                    version(), name, arch, a.Error(compiled), head));
  }
  if (cubin.empty())
    return absl::InternalError(
        fmt::format("NVRTC {} compiled {} but gave no cubin", version(), name));
  return cubin;
}

} // namespace gemma::cuda

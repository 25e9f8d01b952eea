//===- Nvrtc.h - NVRTC, loaded at run time ----------------------*- C++ -*-===//
//
// The CUDA runtime compiler, dlopen'ed like the driver (never linked): the
// binaries build and start without the CUDA toolkit, and `--device cuda`
// says in one line when NVRTC is missing. Looked for as $GEMMA_NVRTC, then
// the toolkit the build found (GEMMA_NVRTC_LIBRARY), then the loader's
// search path (libnvrtc.so, libnvrtc.so.13, .12, .11.2).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CUDA_NVRTC_H
#define RUNTIME_CUDA_NVRTC_H

#include "absl/status/statusor.h"

#include <memory>
#include <string>
#include <vector>

namespace gemma::cuda {

class Nvrtc {
public:
  // `library` empty: the search above.
  static absl::StatusOr<std::unique_ptr<Nvrtc>>
  Load(const std::string &library = "");
  Nvrtc(const Nvrtc &) = delete;
  Nvrtc &operator=(const Nvrtc &) = delete;
  ~Nvrtc();

  // "13.0".
  std::string version() const;
  // The library that was loaded.
  const std::string &path() const { return path_; }
  // The real architectures it compiles for (80, 90, ...).
  const std::vector<int> &architectures() const { return archs_; }

  // `source` compiled to a cubin for sm_<arch>; a failure carries NVRTC's
  // log (the first lines of it).
  absl::StatusOr<std::string> CompileCubin(const std::string &source,
                                           const std::string &name,
                                           int arch) const;

private:
  Nvrtc() = default;
  struct Api;
  void *handle_ = nullptr;
  std::unique_ptr<Api> api_;
  std::string path_;
  int major_ = 0, minor_ = 0;
  std::vector<int> archs_;
};

} // namespace gemma::cuda

#endif // RUNTIME_CUDA_NVRTC_H

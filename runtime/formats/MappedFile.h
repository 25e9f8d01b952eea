//===- MappedFile.h - A whole file mapped read-only -------------*- C++ -*-===//

#ifndef RUNTIME_FORMATS_MAPPEDFILE_H
#define RUNTIME_FORMATS_MAPPEDFILE_H

#include "absl/status/statusor.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace gemma {

// The bytes of a regular file, mapped (never copied) for as long as the
// object lives. Share it (std::shared_ptr) with whatever views its bytes.
class MappedFile {
public:
  // One line naming the path on failure (missing, not a regular file,
  // cannot be mapped).
  static absl::StatusOr<std::shared_ptr<const MappedFile>>
  Open(const std::string &path);
  ~MappedFile();
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  std::span<const uint8_t> bytes() const { return bytes_; }

private:
  MappedFile() = default;
  void *mapping_ = nullptr;
  std::span<const uint8_t> bytes_;
};

// Maps every page of `bytes` (a view into a MappedFile) now, so that the
// first pass over the weights does not stop at each page for a fault:
// llama.cpp maps its model the same way at load. Best effort: where the
// kernel lacks MADV_POPULATE_READ (before Linux 5.14) it only asks for
// read-ahead.
void PopulateMapping(std::span<const uint8_t> bytes);

} // namespace gemma

#endif // RUNTIME_FORMATS_MAPPEDFILE_H

//===- MappedFile.cpp - A whole file mapped read-only ---------------------===//

#include "runtime/formats/MappedFile.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gemma {

absl::StatusOr<std::shared_ptr<const MappedFile>>
MappedFile::Open(const std::string &path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return absl::NotFoundError(
        fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  struct stat st{};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        fmt::format("{}: not a regular file", path));
  }
  std::shared_ptr<MappedFile> file(new MappedFile());
  if (st.st_size > 0) {
    void *mapping =
        ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
      ::close(fd);
      return absl::InternalError(
          fmt::format("{}: cannot map: {}", path, std::strerror(errno)));
    }
    file->mapping_ = mapping;
    file->bytes_ = {static_cast<const uint8_t *>(mapping), size_t(st.st_size)};
  }
  ::close(fd);
  return file;
}

void PopulateMapping(std::span<const uint8_t> bytes) {
  if (bytes.empty())
    return;
  const auto page = uintptr_t(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(bytes.data()) / page * page;
  const auto end = reinterpret_cast<uintptr_t>(bytes.data()) + bytes.size();
  void *start = reinterpret_cast<void *>(begin);
#ifdef MADV_POPULATE_READ
  if (::madvise(start, end - begin, MADV_POPULATE_READ) == 0)
    return;
#endif
  ::madvise(start, end - begin, MADV_WILLNEED);
}

MappedFile::~MappedFile() {
  if (mapping_)
    ::munmap(mapping_, bytes_.size());
}

} // namespace gemma

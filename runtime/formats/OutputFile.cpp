//===- OutputFile.cpp - Files written whole or not at all -----------------===//

#include "runtime/formats/OutputFile.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gemma {
namespace {

namespace fs = std::filesystem;

// Whether `inner` lies somewhere below the directory `outer` (both exist).
bool IsInside(const fs::path &inner, const fs::path &outer) {
  std::error_code error;
  const fs::path a = fs::canonical(inner, error);
  if (error)
    return false;
  const fs::path b = fs::canonical(outer, error);
  if (error)
    return false;
  auto [end, unused] = std::mismatch(b.begin(), b.end(), a.begin(), a.end());
  return end == b.end();
}

} // namespace

absl::Status CheckOutputPath(const std::string &output,
                             std::span<const std::string> inputs) {
  if (output.empty())
    return absl::InvalidArgumentError("no output file given");
  std::error_code error;
  const fs::path out(output);
  const fs::file_status status = fs::status(out, error);
  const bool exists = fs::exists(status);
  if (exists && fs::is_directory(status))
    return absl::InvalidArgumentError(fmt::format(
        "{}: is a directory; give the name of the file to write", output));
  if (exists && !fs::is_regular_file(status))
    return absl::InvalidArgumentError(
        fmt::format("{}: is not a regular file; give the name of a new or "
                    "regular file to write",
                    output));
  fs::path dir = out.parent_path();
  if (dir.empty())
    dir = ".";
  const fs::file_status dir_status = fs::status(dir, error);
  if (!fs::exists(dir_status))
    return absl::NotFoundError(
        fmt::format("{}: cannot write: the directory {} does not exist", output,
                    dir.string()));
  if (!fs::is_directory(dir_status))
    return absl::InvalidArgumentError(fmt::format(
        "{}: cannot write: {} is not a directory", output, dir.string()));
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return absl::PermissionDeniedError(
        fmt::format("{}: cannot write in the directory {}: {}", output,
                    dir.string(), std::strerror(errno)));
  if (!exists)
    return absl::OkStatus();
  for (const std::string &input : inputs) {
    const fs::file_status in_status = fs::status(input, error);
    if (!fs::exists(in_status))
      continue;
    if (fs::is_directory(in_status)) {
      // A plan compiled into a checkpoint directory before may be
      // replaced; the checkpoint's own files may not.
      if (IsInside(out, input) && out.extension() != ".plan")
        return absl::InvalidArgumentError(fmt::format(
            "{}: is a file of the input directory {}; writing it would damage "
            "the model: choose another output",
            output, input));
      continue;
    }
    if (fs::equivalent(out, input, error))
      return absl::InvalidArgumentError(fmt::format(
          "{}: is the input file{}; writing it would destroy it: choose "
          "another output",
          output, input == output ? "" : " " + input));
  }
  return absl::OkStatus();
}

absl::StatusOr<OutputFile> OutputFile::Create(const std::string &path) {
  if (absl::Status s = CheckOutputPath(path); !s.ok())
    return s;
  // Unique per process and per call: two writers of the same destination
  // (or a temporary left by a killed run) never share a temporary.
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string temp =
        fmt::format("{}.partial-{}-{}", path, ::getpid(), counter.fetch_add(1));
    const int fd =
        ::open(temp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
    if (fd >= 0) {
      ::close(fd);
      return OutputFile(path, std::move(temp));
    }
    if (errno != EEXIST)
      return absl::PermissionDeniedError(
          fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  }
  return absl::AlreadyExistsError(
      fmt::format("{}: cannot make a temporary file beside it", path));
}

OutputFile::OutputFile(OutputFile &&other) noexcept
    : path_(std::move(other.path_)), temp_(std::move(other.temp_)),
      done_(other.done_) {
  other.done_ = true;
}

OutputFile::~OutputFile() {
  if (!done_)
    std::remove(temp_.c_str());
}

absl::Status OutputFile::Commit() {
  if (done_)
    return absl::FailedPreconditionError(
        fmt::format("{}: already written", path_));
  // On disk before the rename: after a crash the destination is the old
  // file or the whole new one, never an empty or partial one.
  const int fd = ::open(temp_.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int saved = errno;
    if (fd >= 0)
      ::close(fd);
    return absl::InternalError(
        fmt::format("{}: cannot write: {}", path_, std::strerror(saved)));
  }
  ::close(fd);
  if (std::rename(temp_.c_str(), path_.c_str()) != 0)
    return absl::PermissionDeniedError(
        fmt::format("{}: cannot put the finished file in place: {}", path_,
                    std::strerror(errno)));
  done_ = true;
  return absl::OkStatus();
}

} // namespace gemma

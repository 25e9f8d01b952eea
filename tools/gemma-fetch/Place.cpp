//===- Place.cpp - --out: a fetched model placed in a folder --------------===//

#include "tools/gemma-fetch/Place.h"

#include <fmt/format.h>

#include <cerrno>
#include <unistd.h>

namespace gemma::fetch {
namespace {

namespace fs = std::filesystem;

absl::Status Failed(const std::string &what, const fs::path &path,
                    const std::error_code &error) {
  return absl::InternalError(
      fmt::format("cannot {} {}: {}", what, path.string(), error.message()));
}

} // namespace

absl::Status PlaceFile(const fs::path &from, const fs::path &to) {
  std::error_code error;
  const fs::path source = fs::canonical(from, error);
  if (error)
    return Failed("read", from, error);
  if (fs::exists(fs::symlink_status(to, error))) {
    if (fs::equivalent(source, to, error))
      return absl::OkStatus();
    return absl::AlreadyExistsError(fmt::format(
        "{} exists and is another file: not replaced (remove it, or choose "
        "another --out)",
        to.string()));
  }
  fs::create_directories(to.parent_path(), error);
  if (error)
    return Failed("create", to.parent_path(), error);
  // link() never replaces: a file that appeared at `to` meanwhile stays.
  if (::link(source.c_str(), to.c_str()) == 0)
    return absl::OkStatus();
  if (errno != EXDEV && errno != EPERM && errno != EMLINK)
    return Failed("place the model at", to,
                  std::error_code(errno, std::generic_category()));
  // Another file system: a copy under a temporary name until whole, then
  // linked to its name (again never replacing) and the temporary removed.
  const fs::path temp =
      to.parent_path() /
      fmt::format(".{}.{}.partial", to.filename().string(), getpid());
  fs::copy_file(source, temp, fs::copy_options::overwrite_existing, error);
  if (!error && ::link(temp.c_str(), to.c_str()) != 0)
    error = std::error_code(errno, std::generic_category());
  std::error_code ignored;
  fs::remove(temp, ignored);
  if (error)
    return Failed("copy the model to", to, error);
  return absl::OkStatus();
}

absl::Status PlaceTree(const fs::path &from, const fs::path &to) {
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(from, error);
       !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    if (it->is_directory(error))
      continue;
    // Lexically: fs::relative would follow the cache's links into blobs/.
    const fs::path relative = it->path().lexically_relative(from);
    if (absl::Status placed = PlaceFile(it->path(), to / relative);
        !placed.ok())
      return placed;
  }
  if (error)
    return Failed("read", from, error);
  return absl::OkStatus();
}

} // namespace gemma::fetch

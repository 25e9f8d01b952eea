//===- Place.h - --out: a fetched model placed in a folder ------*- C++ -*-===//
//
// The cache keeps one copy; --out DIR gives the user the files where they
// want them: a hard link where DIR is on the cache's file system (no second
// copy), else a copy written beside its name and renamed. A file already
// in DIR is never replaced by another one.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_FETCH_PLACE_H
#define TOOLS_GEMMA_FETCH_PLACE_H

#include "absl/status/status.h"

#include <filesystem>

namespace gemma::fetch {

// Places the file `from` (a symlink into the cache is followed) at `to`.
absl::Status PlaceFile(const std::filesystem::path &from,
                       const std::filesystem::path &to);

// Places every file under the folder `from` at the same relative path
// under `to`.
absl::Status PlaceTree(const std::filesystem::path &from,
                       const std::filesystem::path &to);

} // namespace gemma::fetch

#endif // TOOLS_GEMMA_FETCH_PLACE_H

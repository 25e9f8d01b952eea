//===- Archive.h - A downloaded archive unpacked safely ---------*- C++ -*-===//
//
// Kaggle delivers a model version as one archive (tar.gz). Its entries are
// untrusted: libarchive unpacks regular files and folders only, refuses
// absolute paths, '..' and paths through symlinks, into a fresh folder
// that is renamed into place only when every entry is out, so a failed
// unpack never leaves a half model where a whole one is expected.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_FETCH_ARCHIVE_H
#define TOOLS_GEMMA_FETCH_ARCHIVE_H

#include "absl/status/status.h"

#include <filesystem>

namespace gemma::fetch {

// Unpacks `archive` (tar, tar.gz, zip: whatever libarchive recognizes)
// into the new folder `target`.
absl::Status UnpackArchive(const std::filesystem::path &archive,
                           const std::filesystem::path &target);

} // namespace gemma::fetch

#endif // TOOLS_GEMMA_FETCH_ARCHIVE_H

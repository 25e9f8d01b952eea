//===- HubCache.h - Hugging Face's cache layout, shared ---------*- C++ -*-===//
//
// Files live where huggingface_hub (and recent llama.cpp) keep them, so a
// model downloaded by any of them is found by the others:
//
//   ROOT/models--ORG--NAME/blobs/ETAG            the bytes (ETAG: the sha256
//                                                of an LFS file, else the
//                                                git blob id)
//   ROOT/models--ORG--NAME/refs/BRANCH           the commit BRANCH named
//   ROOT/models--ORG--NAME/snapshots/COMMIT/PATH a relative symlink to the
//                                                blob
//   ROOT/.locks/models--ORG--NAME/ETAG.lock      held while ETAG downloads
//
// ROOT is HF_HUB_CACHE (or its older name HUGGINGFACE_HUB_CACHE), else
// HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
// ~/.cache/huggingface/hub; a leading ~/ is the home folder.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_FETCH_HUBCACHE_H
#define TOOLS_GEMMA_FETCH_HUBCACHE_H

#include "absl/status/status.h"

#include <filesystem>
#include <optional>
#include <string>

namespace gemma::fetch {

namespace fs = std::filesystem;

std::string HfHome(); // HF_HOME, else $XDG_CACHE_HOME/huggingface, else
                      // ~/.cache/huggingface
fs::path HubCacheRoot();

// A repository id the Hub could have: ORG/NAME of letters, digits, '-',
// '_' and '.', neither part "." or "..".
bool IsValidRepoId(const std::string &repo);
// A commit id: 40 lower-case hex digits.
bool IsCommitHash(const std::string &revision);
// A file path inside a repository that stays inside it: relative, no "."
// or ".." segment, no empty segment, no backslash or NUL. (Paths come from
// the server; one must never write outside the snapshot.)
bool IsSafeRepoPath(const std::string &path);

class RepoCache {
public:
  RepoCache(fs::path root, const std::string &repo);

  const fs::path &dir() const { return dir_; }
  fs::path Blob(const std::string &etag) const;
  fs::path Incomplete(const std::string &etag) const;
  fs::path Lock(const std::string &etag) const;
  fs::path Snapshot(const std::string &commit, const std::string &path) const;

  // The commit refs/REVISION holds, if any.
  std::optional<std::string> ReadRef(const std::string &revision) const;
  // refs/REVISION = commit, replaced atomically.
  absl::Status WriteRef(const std::string &revision,
                        const std::string &commit) const;
  // snapshots/COMMIT/PATH -> ../../blobs/ETAG (one more ../ per directory
  // in PATH), replacing what was there.
  absl::Status Link(const std::string &commit, const std::string &path,
                    const std::string &etag) const;

private:
  fs::path root_, dir_, locks_;
};

} // namespace gemma::fetch

#endif // TOOLS_GEMMA_FETCH_HUBCACHE_H

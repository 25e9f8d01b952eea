//===- HubCache.cpp - Hugging Face's cache layout, shared -----------------===//

#include "tools/gemma-fetch/HubCache.h"

#include "tools/gemma-fetch/Environment.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <system_error>
#include <unistd.h>

namespace gemma::fetch {
namespace {

absl::Status Failed(const std::string &what, const fs::path &path,
                    const std::error_code &error) {
  return absl::InternalError(
      fmt::format("cannot {} {}: {}", what, path.string(), error.message()));
}

// A leading ~/ as the user's home, as huggingface_hub expands it.
std::string ExpandHome(std::string path) {
  if (path == "~" || path.starts_with("~/"))
    path = HomeDir() + path.substr(1);
  return path;
}

} // namespace

std::string HfHome() {
  if (std::string home = Env("HF_HOME"); !home.empty())
    return ExpandHome(home);
  if (std::string xdg = Env("XDG_CACHE_HOME"); !xdg.empty())
    return (fs::path(xdg) / "huggingface").string();
  return (fs::path(HomeDir()) / ".cache" / "huggingface").string();
}

fs::path HubCacheRoot() {
  // HUGGINGFACE_HUB_CACHE: the older name huggingface_hub still reads.
  for (const char *name : {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"})
    if (std::string root = Env(name); !root.empty())
      return ExpandHome(root);
  return fs::path(HfHome()) / "hub";
}

bool IsValidRepoId(const std::string &repo) {
  const size_t slash = repo.find('/');
  if (slash == std::string::npos ||
      repo.find('/', slash + 1) != std::string::npos)
    return false;
  for (const std::string &part :
       {repo.substr(0, slash), repo.substr(slash + 1)}) {
    if (part.empty() || part == "." || part == ".." || part.size() > 96)
      return false;
    for (unsigned char c : part)
      if (!std::isalnum(c) && c != '-' && c != '_' && c != '.')
        return false;
  }
  return true;
}

bool IsCommitHash(const std::string &revision) {
  if (revision.size() != 40)
    return false;
  for (unsigned char c : revision)
    if (!std::isdigit(c) && !(c >= 'a' && c <= 'f'))
      return false;
  return true;
}

bool IsSafeRepoPath(const std::string &path) {
  if (path.empty() || path.front() == '/' ||
      path.find('\\') != std::string::npos ||
      path.find('\0') != std::string::npos)
    return false;
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find('/', begin);
    if (end == std::string::npos)
      end = path.size();
    const std::string segment = path.substr(begin, end - begin);
    if (segment.empty() || segment == "." || segment == "..")
      return false;
    begin = end + 1;
  }
  return true;
}

RepoCache::RepoCache(fs::path root, const std::string &repo)
    : root_(std::move(root)) {
  const size_t slash = repo.find('/');
  const std::string folder = fmt::format(
      "models--{}--{}", repo.substr(0, slash), repo.substr(slash + 1));
  dir_ = root_ / folder;
  locks_ = root_ / ".locks" / folder;
}

fs::path RepoCache::Blob(const std::string &etag) const {
  return dir_ / "blobs" / etag;
}

fs::path RepoCache::Incomplete(const std::string &etag) const {
  return dir_ / "blobs" / (etag + ".incomplete");
}

fs::path RepoCache::Lock(const std::string &etag) const {
  return locks_ / (etag + ".lock");
}

fs::path RepoCache::Snapshot(const std::string &commit,
                             const std::string &path) const {
  return dir_ / "snapshots" / commit / path;
}

std::optional<std::string>
RepoCache::ReadRef(const std::string &revision) const {
  std::ifstream in(dir_ / "refs" / revision);
  std::string commit;
  if (!in || !std::getline(in, commit))
    return std::nullopt;
  while (!commit.empty() &&
         std::isspace(static_cast<unsigned char>(commit.back())))
    commit.pop_back();
  if (!IsCommitHash(commit))
    return std::nullopt;
  return commit;
}

absl::Status RepoCache::WriteRef(const std::string &revision,
                                 const std::string &commit) const {
  const fs::path ref = dir_ / "refs" / revision;
  std::error_code error;
  fs::create_directories(ref.parent_path(), error);
  if (error)
    return Failed("create", ref.parent_path(), error);
  if (ReadRef(revision) == commit)
    return absl::OkStatus();
  const fs::path temp =
      ref.parent_path() /
      fmt::format(".{}.{}.tmp", ref.filename().string(), getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << commit;
    if (!out.flush())
      return absl::InternalError(fmt::format("cannot write {}", temp.string()));
  }
  fs::rename(temp, ref, error);
  if (error) {
    fs::remove(temp, error);
    return Failed("write", ref, error);
  }
  return absl::OkStatus();
}

absl::Status RepoCache::Link(const std::string &commit, const std::string &path,
                             const std::string &etag) const {
  const fs::path link = Snapshot(commit, path);
  std::error_code error;
  fs::create_directories(link.parent_path(), error);
  if (error)
    return Failed("create", link.parent_path(), error);
  // snapshots/COMMIT/a/b/file -> ../../../blobs/ETAG
  fs::path target = "..";
  target /= "..";
  for (const auto &part : fs::path(path).parent_path())
    if (!part.empty())
      target /= "..";
  target = target / "blobs" / etag;
  const fs::path temp =
      link.parent_path() /
      fmt::format(".{}.{}.tmp", link.filename().string(), getpid());
  fs::remove(temp, error);
  fs::create_symlink(target, temp, error);
  if (error)
    return Failed("link", link, error);
  fs::rename(temp, link, error);
  if (error) {
    fs::remove(temp, error);
    return Failed("link", link, error);
  }
  return absl::OkStatus();
}

} // namespace gemma::fetch

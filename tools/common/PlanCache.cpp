//===- PlanCache.cpp - A weight file compiled on first use ----------------===//

#include "tools/common/PlanCache.h"

#include "tools/common/Subprocess.h"

#include "runtime/formats/LoadModel.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gemma {
namespace {

namespace fs = std::filesystem;

// FNV-1a over the key's text: a cache name that is the same in every build
// (std::hash promises nothing across builds).
uint64_t Fnv1a(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// A file's identity for the cache: a rewritten, touched or replaced file
// (another inode) stamps differently. Empty when it cannot be read.
std::string FileStamp(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return {};
  return fmt::format("{}:{}:{}.{}:{}", path, static_cast<long long>(st.st_size),
                     static_cast<long long>(st.st_mtim.tv_sec),
                     static_cast<long>(st.st_mtim.tv_nsec),
                     static_cast<unsigned long long>(st.st_ino));
}

// The stamp of a weight file, or of every regular file of a checkpoint
// directory (config, tensors, tokenizer), in name order.
std::string ModelStamp(const fs::path &model) {
  std::error_code error;
  if (!fs::is_directory(model, error))
    return FileStamp(model);
  std::vector<std::string> files;
  for (const fs::directory_entry &entry : fs::directory_iterator(model, error))
    if (entry.is_regular_file(error))
      files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  std::string stamp;
  for (const std::string &file : files)
    stamp += FileStamp(file) + ";";
  return stamp;
}

std::string CacheDir() {
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return (fs::path(xdg) / "gemma" / "plans").string();
  if (const char *home = std::getenv("HOME"); home && *home)
    return (fs::path(home) / ".cache" / "gemma" / "plans").string();
  return {};
}

// Runs `args` (its stdout discarded, its stderr shown) and returns its exit
// status, or -1 when it could not run or died of a signal.
int Run(const std::vector<std::string> &args) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null",
                                   O_WRONLY, 0);
  pid_t pid;
  const int spawned = Spawn(args, &actions, nullptr, &pid);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0)
    return -1;
  return WaitForExit(pid);
}

} // namespace

bool IsPlanFile(const std::string &path) {
  std::error_code error;
  if (!fs::is_regular_file(path, error))
    return false;
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  return in.read(magic, sizeof magic) &&
         std::memcmp(magic, "GEMMAPLN", sizeof magic) == 0;
}

absl::StatusOr<std::string> ResolvePlan(const PlanRequest &request) {
  const std::string &model = request.model;
  if (IsPlanFile(model))
    return model;
  std::error_code error;
  if (!fs::exists(model, error))
    return absl::NotFoundError(
        fmt::format("{}: no such file or directory", model));
  if (std::optional<std::string> hint = UnknownFormatHint(model))
    return absl::InvalidArgumentError(
        fmt::format("{}: not a .plan, a GGUF, a gemma.cpp .sbs or a Hugging "
                    "Face checkpoint directory: {}",
                    model, *hint));
  const std::string compiler = SiblingTool("gemma-compile");
  if (compiler.empty() || ::access(compiler.c_str(), X_OK) != 0)
    return absl::NotFoundError(fmt::format(
        "{}: not a .plan, and gemma-compile is not beside {} ({}) to "
        "compile it: run gemma-compile {} -o MODEL.plan",
        model, request.tool, compiler.empty() ? "unknown path" : compiler,
        model));
  const std::string dir = CacheDir();
  if (dir.empty())
    return absl::FailedPreconditionError(fmt::format(
        "{}: not a .plan, and there is no cache to compile it into (set "
        "XDG_CACHE_HOME or HOME), or run gemma-compile {} -o MODEL.plan",
        model, model));
  fs::create_directories(dir, error);
  if (error)
    return absl::PermissionDeniedError(
        fmt::format("cannot make the plan cache {}: {}", dir, error.message()));

  const fs::path canonical = fs::canonical(model, error);
  if (error)
    return absl::NotFoundError(fmt::format("{}: {}", model, error.message()));
  // NAME-PATH-CONTEXT-KEY.plan. KEY holds the context asked for (0: the
  // default), so a cached plan is found before the model is read (reading
  // a GGUF's metadata costs about 0.1 s a run); CONTEXT is the one it was
  // compiled for, and the plans of one file and context share the prefix
  // before KEY, so a new one can replace the stale ones.
  // Decode buckets other than the default name their own plans (a
  // server's and gemma-exec's plans of one file do not replace each other).
  const std::string buckets =
      request.decode_buckets.empty()
          ? std::string()
          : fmt::format("d{}-", fmt::join(request.decode_buckets, "."));
  const uint64_t key = Fnv1a(
      fmt::format("gemma-exec plan cache 2|{}|{}|{}{}", ModelStamp(canonical),
                  request.context, FileStamp(compiler),
                  buckets.empty() ? "" : "|decode " + buckets));
  const std::string stem =
      fmt::format("{}-{:08x}-", canonical.filename().string(),
                  uint32_t(Fnv1a(canonical.string())));
  const std::string tail = fmt::format("-{:016x}.plan", key);
  for (const fs::directory_entry &entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(stem) && name.ends_with(tail) &&
        IsPlanFile(entry.path().string())) {
      if (request.verbose)
        std::fprintf(stderr, "%s: %s: the plan cached at %s\n",
                     request.tool.c_str(), model.c_str(), entry.path().c_str());
      return entry.path().string();
    }
  }

  absl::StatusOr<ModelFile> file = LoadModelFile(model);
  if (!file.ok())
    return file.status();
  // (0: the file does not say; the compiler takes what is asked.)
  const uint32_t maximum =
      file->spec.max_context ? file->spec.max_context : UINT32_MAX;
  if (request.context > maximum)
    return absl::InvalidArgumentError(
        fmt::format("-c/--ctx-size {}: {} holds at most {} positions",
                    request.context, model, maximum));
  const uint32_t context =
      request.context ? request.context : std::min(kDefaultContext, maximum);
  const std::string prefix = fmt::format("{}{}-{}", stem, context, buckets);
  const std::string plan = (fs::path(dir) / (prefix + tail.substr(1))).string();
  std::fprintf(stderr,
               "%s: compiling %s for %u positions (once: the plan is "
               "cached at %s)\n",
               request.tool.c_str(), model.c_str(), context, plan.c_str());
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> args = {
      compiler, model, "-o", plan, "--context", std::to_string(context)};
  if (!request.decode_buckets.empty()) {
    args.push_back("--decode-buckets");
    args.push_back(fmt::format("{}", fmt::join(request.decode_buckets, ",")));
  }
  const int status = Run(args);
  if (status != 0)
    return absl::InternalError(
        fmt::format("{}: compiling it failed (gemma-compile {})", model,
                    status < 0 ? "could not run" : "says why above"));
  // The plans this one replaces (the file changed, or the compiler) go: a
  // cache of one plan per file and context, not one per edit. (A process
  // still running one keeps its mapping.)
  for (const fs::directory_entry &entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && name.ends_with(".plan") &&
        entry.path() != fs::path(plan))
      fs::remove(entry.path(), error);
  }
  std::fprintf(
      stderr, "%s: compiled in %.2f s\n", request.tool.c_str(),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count());
  return plan;
}

} // namespace gemma

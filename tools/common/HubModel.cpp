//===- HubModel.cpp - -hf ORG/NAME[:QUANT]: a model by its repository -----===//

#include "tools/common/HubModel.h"

#include "tools/common/Subprocess.h"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <unistd.h>
#include <vector>

namespace gemma {
namespace {

// Runs `args` with stdout captured (stderr shown); the exit status, or -1
// when it could not run or died of a signal.
int RunCapturing(const std::vector<std::string> &args, std::string &out,
                 int cancel_fd, bool &cancelled) {
  int pipe_fds[2];
  // Close-on-exec: the child gets only the write end, as its stdout. Ends
  // that landed on 0-2 (this process's own stdout closed) move above them,
  // so the child's dup2 onto stdout cannot close what it just made.
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return -1;
  for (int &fd : pipe_fds)
    if (fd <= STDERR_FILENO) {
      const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
      ::close(fd);
      fd = moved;
    }
  if (pipe_fds[0] < 0 || pipe_fds[1] < 0) {
    for (int fd : pipe_fds)
      if (fd >= 0)
        ::close(fd);
    return -1;
  }
  // The child starts with default signal actions (gemma-serve ignores
  // SIGPIPE).
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  pid_t pid;
  const int spawned = Spawn(args, &actions, &attributes, &pid);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    return -1;
  }
  char buffer[4096];
  for (;;) {
    pollfd fds[2] = {{pipe_fds[0], POLLIN, 0}, {cancel_fd, POLLIN, 0}};
    if (::poll(fds, cancel_fd >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (cancel_fd >= 0 && (fds[1].revents & POLLIN)) {
      cancelled = true;
      ::kill(pid, SIGTERM);
      break;
    }
    const ssize_t got = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (got > 0)
      out.append(buffer, size_t(got));
    else if (got == 0 || errno != EINTR)
      break;
  }
  ::close(pipe_fds[0]);
  return WaitForExit(pid);
}

} // namespace

absl::StatusOr<std::string> FetchHubModel(const std::string &repo,
                                          const std::string &file,
                                          const std::string &tool,
                                          int cancel_fd) {
  const std::string fetcher = SiblingTool("gemma-fetch");
  if (fetcher.empty() || ::access(fetcher.c_str(), X_OK) != 0)
    return absl::NotFoundError(
        fmt::format("-hf {}: gemma-fetch is not beside {} ({}) to download it",
                    repo, tool, fetcher.empty() ? "unknown path" : fetcher));
  std::vector<std::string> args = {fetcher, "--hf-repo", repo};
  if (!file.empty())
    args.insert(args.end(), {"--hf-file", file});
  std::string out;
  bool cancelled = false;
  const int status = RunCapturing(args, out, cancel_fd, cancelled);
  if (cancelled)
    return absl::CancelledError(fmt::format(
        "-hf {}: stopped during the download (run again to resume it)", repo));
  if (status != 0)
    return absl::UnavailableError(fmt::format(
        "-hf {}: gemma-fetch could not provide it{}", repo,
        status < 0 ? " (it did not run)" : " (its error is above)"));
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
    out.pop_back();
  const size_t line = out.rfind('\n');
  std::string path = line == std::string::npos ? out : out.substr(line + 1);
  if (path.empty())
    return absl::DataLossError(
        fmt::format("-hf {}: gemma-fetch printed no path", repo));
  return path;
}

HubModelFlags::HubModelFlags(llvm::cl::OptionCategory &category,
                             const char *repo_desc, const char *file_desc)
    : repo_("hf-repo", llvm::cl::desc(repo_desc),
            llvm::cl::value_desc("org/name[:quant]"), llvm::cl::cat(category)),
      hf_("hf", llvm::cl::desc("Alias for --hf-repo"),
          llvm::cl::aliasopt(repo_)),
      hfr_("hfr", llvm::cl::desc("Alias for --hf-repo"),
           llvm::cl::aliasopt(repo_)),
      file_("hf-file", llvm::cl::desc(file_desc), llvm::cl::value_desc("path"),
            llvm::cl::cat(category)),
      hff_("hff", llvm::cl::desc("Alias for --hf-file"),
           llvm::cl::aliasopt(file_)) {}

absl::Status HubModelFlags::Check(const std::string &model) const {
  if (!file_.empty() && repo_.empty())
    return absl::InvalidArgumentError(
        "--hf-file names a file of --hf-repo: give that too");
  if (!repo_.empty() && !model.empty())
    return absl::InvalidArgumentError(fmt::format(
        "two models given: '{}' and -hf '{}'", model, repo_.getValue()));
  return absl::OkStatus();
}

} // namespace gemma

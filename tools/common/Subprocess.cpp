//===- Subprocess.cpp - Tools that run the tools beside them --------------===//

#include "tools/common/Subprocess.h"

#include <cerrno>
#include <filesystem>
#include <sys/wait.h>

extern char **environ;

namespace gemma {

std::string SiblingTool(const char *name) {
  std::error_code error;
  const std::filesystem::path self =
      std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string() : (self.parent_path() / name).string();
}

int Spawn(const std::vector<std::string> &args,
          const posix_spawn_file_actions_t *actions,
          const posix_spawnattr_t *attributes, pid_t *pid) {
  std::vector<char *> argv;
  for (const std::string &arg : args)
    argv.push_back(const_cast<char *>(arg.c_str()));
  argv.push_back(nullptr);
  return posix_spawn(pid, argv[0], actions, attributes, argv.data(), environ);
}

int WaitForExit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace gemma

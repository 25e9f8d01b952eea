//===- Subprocess.cpp - Tools that run the tools beside them --------------===//

#include "tools/common/Subprocess.h"

#include <cerrno>
#include <filesystem>
#include <sys/wait.h>

namespace gemma {

std::string SiblingTool(const char *name) {
  std::error_code error;
  const std::filesystem::path self =
      std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string() : (self.parent_path() / name).string();
}

int WaitForExit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace gemma

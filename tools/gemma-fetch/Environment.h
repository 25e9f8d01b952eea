//===- Environment.h - The variables gemma-fetch reads ----------*- C++ -*-===//
//
// Both caches, the endpoints and the credentials come from environment
// variables (HF_*, KAGGLE*, HOME), read the same way everywhere.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_FETCH_ENVIRONMENT_H
#define TOOLS_GEMMA_FETCH_ENVIRONMENT_H

#include <cstdlib>
#include <string>

namespace gemma::fetch {

// The variable's value, "" when unset.
inline std::string Env(const char *name) {
  const char *value = std::getenv(name);
  return value ? value : "";
}

// HOME, or the working directory when it is unset.
inline std::string HomeDir() {
  const std::string home = Env("HOME");
  return home.empty() ? "." : home;
}

} // namespace gemma::fetch

#endif // TOOLS_GEMMA_FETCH_ENVIRONMENT_H

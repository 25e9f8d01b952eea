//===- Inspect.cpp - gemma-exec's look-inside flags -----------------------===//

#include "tools/gemma-exec/Inspect.h"

#include "runtime/CacheDirectory.h"

#include "runtime/exec/Backends.h"
#include "tools/gemma-exec/Bench.h"

#include <fmt/format.h>

#include <cstdlib>
#include <thread>

namespace gemma {
namespace {

std::string Joined(const std::vector<int64_t> &values) {
  std::string out;
  for (int64_t v : values)
    out += (out.empty() ? "" : ", ") + std::to_string(v);
  return out;
}

} // namespace

std::string PlanConfigText(const PlanSession &session) {
  const plan::PlanMeta &meta = session.meta();
  std::string out = FormatModelSpec(session.weights().spec);
  if (!out.empty() && out.back() != '\n')
    out += '\n';
  out += fmt::format("plan: backend {}, compiler {}, context {}, vocab {}, "
                     "bos {}, eos [{}]\n",
                     meta.backend, meta.compiler_version, meta.context,
                     meta.vocab_size, meta.bos_id,
                     Joined({meta.eos_ids.begin(), meta.eos_ids.end()}));
  std::string fusions;
  for (const std::string &f : meta.fusions)
    fusions += (fusions.empty() ? "" : ",") + f;
  out += fmt::format("fusions: {}\n", fusions.empty() ? "none" : fusions);
  std::string programs;
  for (const plan::Program &p : session.programs())
    programs += (programs.empty() ? "" : ", ") + p.name;
  out += fmt::format("programs: {}\n", programs);
  out += fmt::format("weights: {} ({}, {} bytes)\n", session.weights().source,
                     session.weights().format, session.weights().file_bytes);
  return out;
}

std::string BackendText(const PlanSession &session) {
  std::string out =
      fmt::format("backend: {} (the plan's)\n", session.backend().name());
  out += fmt::format("  {}\n", session.backend().Describe());
  std::string names;
  for (const std::string &name : BackendNames())
    names += (names.empty() ? "" : ", ") + name;
  out += fmt::format("backends in this build: {}\n", names);
  out += fmt::format("devices:\n  cpu: {} ({} hardware threads)\n", CpuName(),
                     std::thread::hardware_concurrency());
  for (const std::string &line : DeviceLines())
    out += fmt::format("  {}\n", line);
  out += fmt::format("cache directory: {} (vulkan keeps its pipeline cache "
                     "in vulkan/; the cpu backend keeps nothing there)\n",
                     CacheDirectory().empty()
                         ? "(none: neither XDG_CACHE_HOME nor HOME is set)"
                         : CacheDirectory());
  return out;
}

} // namespace gemma

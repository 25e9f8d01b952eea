//===- FusionPipeline.cpp - Which fusions run, by name --------------------===//

#include "passes/FusionPipeline.h"

#include "passes/Passes.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>

namespace gemma {
namespace {

using PassFactory = std::function<std::unique_ptr<mlir::Pass>()>;

const std::map<std::string, PassFactory> &Factories() {
  static const std::map<std::string, PassFactory> factories = {
      {"attention", [] { return createFuseAttention(); }},
      {"geglu", [] { return createFuseGeglu(); }},
      {"logits", [] { return createFuseLogits(); }},
      {"norm-matmul", [] { return createFuseNormMatmul(); }},
      {"qkv-rope", [] { return createFuseQkvRope(); }},
      {"residual-norm", [] { return createFuseResidualNorm(); }},
  };
  return factories;
}

} // namespace

const std::vector<std::string> &FusionNames() {
  static const std::vector<std::string> names = {"attention",   "qkv-rope",
                                                 "geglu",       "residual-norm",
                                                 "norm-matmul", "logits"};
  return names;
}

absl::StatusOr<std::vector<std::string>> ParseFusions(std::string_view text) {
  if (text == "all")
    return FusionNames();
  std::vector<std::string> chosen;
  if (text == "none")
    return chosen;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    std::string name(text.substr(at, comma - at));
    if (name == "all" || name == "none")
      return absl::InvalidArgumentError(fmt::format(
          "'{}' stands alone (--fusion {}), not in a list with others", name,
          name));
    if (!Factories().count(name)) {
      std::string known;
      for (const std::string &n : FusionNames())
        known += (known.empty() ? "" : ", ") + n;
      return absl::InvalidArgumentError(fmt::format(
          "unknown fusion '{}' (known: all, none, {})", name, known));
    }
    if (std::find(chosen.begin(), chosen.end(), name) == chosen.end())
      chosen.push_back(name);
    at = comma + 1;
  }
  return chosen;
}

void AddFusionPasses(mlir::OpPassManager &pm,
                     const std::vector<std::string> &fusions) {
  for (const std::string &name : FusionNames())
    if (std::find(fusions.begin(), fusions.end(), name) != fusions.end())
      pm.addPass(Factories().at(name)());
}

absl::Status Fuse(mlir::ModuleOp module,
                  const std::vector<std::string> &fusions) {
  if (fusions.empty())
    return absl::OkStatus();
  mlir::PassManager pm(module.getContext());
  AddFusionPasses(pm, fusions);
  if (failed(pm.run(module)))
    return absl::InternalError("the fusion passes failed");
  return absl::OkStatus();
}

} // namespace gemma

//===- FlagCheck.cpp - Unknown flags as one line with a suggestion --------===//

#include "tools/common/FlagCheck.h"
#include "tools/common/Version.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Path.h"

#include <cstdio>
#include <string>

namespace cl = llvm::cl;

namespace gemma {

using OptionMap = llvm::DenseMap<llvm::StringRef, cl::Option *>;

bool CheckKnownFlags(
    int argc, char **argv,
    const std::map<std::string, std::string, std::less<>> &hints) {
  if (argc < 1)
    return true;
  cl::SubCommand *sub = &cl::SubCommand::getTopLevel();
  int first = 1;
  if (argc > 1 && argv[1][0] != '-')
    for (cl::SubCommand *candidate : cl::getRegisteredSubcommands())
      if (candidate->getName() == argv[1]) {
        sub = candidate;
        first = 2;
      }
  OptionMap &options = sub->OptionsMap;
  // Options of every subcommand (help, version ...) apply everywhere.
  OptionMap &all = cl::SubCommand::getAll().OptionsMap;
  auto find = [&](llvm::StringRef name) -> cl::Option * {
    if (auto it = options.find(name); it != options.end())
      return it->second;
    if (auto it = all.find(name); it != all.end())
      return it->second;
    return nullptr;
  };
  const std::string tool = llvm::sys::path::filename(argv[0]).str();
  for (int i = first; i < argc; ++i) {
    llvm::StringRef arg(argv[i]);
    if (arg == "--")
      return true;
    if (!arg.starts_with("-") || arg == "-")
      continue;
    llvm::StringRef name = arg.ltrim('-');
    const bool has_value = name.contains('=');
    name = name.split('=').first;
    if (cl::Option *option = find(name)) {
      // "--flag value": the value is not a flag, whatever it looks like.
      if (!has_value && option->getValueExpectedFlag() == cl::ValueRequired)
        ++i;
      continue;
    }
    if (auto hint = hints.find(std::string_view(name)); hint != hints.end()) {
      std::fprintf(stderr, "%s: error: unknown flag '%s': %s\n", tool.c_str(),
                   argv[i], hint->second.c_str());
      return false;
    }
    std::string best;
    unsigned best_distance = 4; // farther than this is no suggestion
    for (OptionMap *map : {&options, &all})
      for (const auto &entry : *map) {
        if (entry.second->getOptionHiddenFlag() == cl::ReallyHidden ||
            entry.first.size() < 2)
          continue;
        unsigned d = name.edit_distance(entry.first, true, best_distance);
        if (d < best_distance) {
          best_distance = d;
          best = entry.first.str();
        }
      }
    if (best.empty())
      std::fprintf(stderr, "%s: error: unknown flag '%s' (see %s --help)\n",
                   tool.c_str(), argv[i], tool.c_str());
    else
      std::fprintf(stderr,
                   "%s: error: unknown flag '%s' (did you mean '--%s'?)\n",
                   tool.c_str(), argv[i], best.c_str());
    return false;
  }
  return true;
}

void AddShortHelpFlag() {
  auto &options = cl::getRegisteredOptions();
  auto help = options.find("help");
  if (help == options.end() || options.count("h"))
    return;
  static cl::alias short_help("h", cl::desc("Alias for --help"),
                              cl::aliasopt(*help->second));
}

bool ParseToolFlags(
    int argc, char **argv, const char *tool,
    llvm::ArrayRef<const cl::OptionCategory *> categories, const char *overview,
    const std::map<std::string, std::string, std::less<>> &hints) {
  cl::HideUnrelatedOptions(categories);
  AddShortHelpFlag();
  SetVersionPrinter(tool);
  if (!CheckKnownFlags(argc, argv, hints))
    return false;
  cl::ParseCommandLineOptions(argc, argv, overview);
  return true;
}

} // namespace gemma

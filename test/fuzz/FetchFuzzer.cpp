//===- FetchFuzzer.cpp - Fuzz target: what gemma-fetch reads from servers -===//
//
// The same bytes twice: as a repository's file listing (one path a line),
// whose every choice must be made or refused with a status, and as a
// downloaded archive, which must unpack into its folder or be refused,
// never leaving a file beside the folder or a half-unpacked one.
//
//===----------------------------------------------------------------------===//

#include "tools/gemma-fetch/Archive.h"
#include "tools/gemma-fetch/FilePick.h"
#include "tools/gemma-fetch/HubCache.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

void Listing(const std::string &text) {
  std::vector<std::string> files;
  size_t begin = 0;
  while (begin < text.size() && files.size() < 1000) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos)
      end = text.size();
    files.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  for (const char *quant : {"", "Q4_K_M", "q8_0", "BF16"})
    (void)gemma::fetch::PickFiles(files, "org/repo", quant, "");
  if (!files.empty())
    (void)gemma::fetch::PickFiles(files, "org/repo", "", files.back());
  for (const std::string &file : files) {
    (void)gemma::fetch::QuantOf(file);
    (void)gemma::fetch::IsSafeRepoPath(file);
  }
  (void)gemma::fetch::ModelQuants(files);
}

void Archive(const uint8_t *data, size_t size) {
  static const fs::path root =
      fs::temp_directory_path() / ("fetch-fuzz-" + std::to_string(getpid()));
  std::error_code error;
  fs::remove_all(root, error);
  fs::create_directories(root / "cache", error);
  std::ofstream(root / "input", std::ios::binary)
      .write(reinterpret_cast<const char *>(data), std::streamsize(size));
  (void)gemma::fetch::UnpackArchive(root / "input", root / "cache" / "1");
  for (const auto &entry : fs::directory_iterator(root, error))
    if (entry.path().filename() != "input" &&
        entry.path().filename() != "cache")
      std::abort(); // something landed beside the folder
  for (const auto &entry : fs::directory_iterator(root / "cache", error))
    if (entry.path().filename() != "1")
      std::abort(); // a half-unpacked folder was left
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Listing(std::string(reinterpret_cast<const char *>(data), size));
  Archive(data, size);
  return 0;
}

//===- CubinCache.cpp - Compiled CUDA modules on disk ---------------------===//

#include "runtime/cuda/CubinCache.h"

#include <fmt/format.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace gemma::cuda {
namespace {

// FNV-1a, 64 bits, from `seed`.
uint64_t Hash(std::string_view bytes, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

} // namespace

std::string CubinCache::Key(std::string_view source, int arch,
                            int driver_version,
                            std::string_view nvrtc_version) {
  return fmt::format("{:016x}{:016x}-sm{}-driver{}-nvrtc{}",
                     Hash(source, 0xcbf29ce484222325ull),
                     Hash(source, 0x84222325cbf29ce4ull), arch, driver_version,
                     nvrtc_version);
}

std::string CubinCache::PathOf(const std::string &key) const {
  return directory_.empty() ? "" : directory_ + "/" + key + ".cubin";
}

std::optional<std::string> CubinCache::Load(const std::string &key) const {
  if (directory_.empty())
    return std::nullopt;
  std::ifstream in(PathOf(key), std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::string cubin = std::move(bytes).str();
  if (cubin.size() < 4 || cubin.compare(0, 4,
                                        "\x7f"
                                        "ELF") != 0)
    return std::nullopt;
  return cubin;
}

absl::Status CubinCache::Store(const std::string &key,
                               const std::string &cubin) const {
  if (directory_.empty())
    return absl::OkStatus();
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  const std::string path = PathOf(key);
  const std::string partial = fmt::format("{}.partial.{}", path, getpid());
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out.write(cubin.data(), std::streamsize(cubin.size()));
    if (!out.good()) {
      std::filesystem::remove(partial, ec);
      return absl::UnavailableError(
          fmt::format("cannot write the cubin cache file {}", partial));
    }
  }
  std::filesystem::rename(partial, path, ec);
  if (ec) {
    std::filesystem::remove(partial, ec);
    return absl::UnavailableError(
        fmt::format("cannot rename {} into place", partial));
  }
  return absl::OkStatus();
}

} // namespace gemma::cuda

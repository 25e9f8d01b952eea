//===- FuzzSmokeMain.cpp - A short fuzzing run without libFuzzer ----------===//
//
// Runs LLVMFuzzerTestOneInput over seed files and then over deterministic
// mutations of them (bit flips, byte stores, truncations, insertions) for a
// time budget, so every build, including the ASan one, exercises the parser
// on hostile bytes. Mutations favour the end of a V2 file, where its
// directory, config and toc live. Real coverage-guided runs: scripts/fuzz.sh.
//
//   <target>-fuzz-smoke [--seconds N] SEED_FILE...
//
//===----------------------------------------------------------------------===//

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

std::vector<uint8_t> Mutate(const std::vector<uint8_t> &seed,
                            std::mt19937_64 &rng) {
  std::vector<uint8_t> input = seed;
  auto position = [&]() -> size_t {
    if (input.empty())
      return 0;
    // Half of the mutations hit the last 64 KiB (V2 directory, metadata).
    size_t tail = std::min<size_t>(input.size(), 65536);
    return rng() % 2 ? input.size() - 1 - rng() % tail : rng() % input.size();
  };
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !input.empty(); ++e) {
    switch (rng() % 5) {
    case 0:
      input[position()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      break;
    case 1:
      input[position()] = static_cast<uint8_t>(rng());
      break;
    case 2: { // a 32-bit word set to an interesting value
      static const uint32_t kValues[] = {
          0, 1, 0xFFFFFFFFu, 0x80000000u, 0x7FFFFFFFu, 65536, 16384, 255};
      size_t at = position() & ~size_t{3};
      if (at + 4 <= input.size()) {
        uint32_t v = kValues[rng() % 8];
        std::memcpy(input.data() + at, &v, 4);
      }
      break;
    }
    case 3:
      input.resize(rng() % (input.size() + 1));
      break;
    default:
      input.insert(input.begin() + static_cast<ptrdiff_t>(position()),
                   static_cast<uint8_t>(rng()));
      break;
    }
  }
  return input;
}

} // namespace

int main(int argc, char **argv) {
  const char *tool =
      std::strrchr(argv[0], '/') ? std::strrchr(argv[0], '/') + 1 : argv[0];
  double seconds = 3.0;
  std::vector<std::vector<uint8_t>> seeds;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
      continue;
    }
    std::ifstream in(arg, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: error: cannot read seed '%s'\n", tool,
                   arg.c_str());
      return 1;
    }
    seeds.emplace_back(std::istreambuf_iterator<char>(in),
                       std::istreambuf_iterator<char>());
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "usage: %s [--seconds N] SEED...\n", tool);
    return 1;
  }
  for (const std::vector<uint8_t> &seed : seeds)
    LLVMFuzzerTestOneInput(seed.data(), seed.size());
  std::mt19937_64 rng(20261124);
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  uint64_t runs = seeds.size();
  while (std::chrono::steady_clock::now() < deadline) {
    std::vector<uint8_t> input = Mutate(seeds[rng() % seeds.size()], rng);
    LLVMFuzzerTestOneInput(input.data(), input.size());
    ++runs;
  }
  std::printf("%s: %llu inputs ran without a crash\n", tool,
              static_cast<unsigned long long>(runs));
  return 0;
}

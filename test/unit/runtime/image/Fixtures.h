//===- Fixtures.h - test/fixtures/images for the image tests ----*- C++ -*-===//
//
// The fixtures' manifest (written by test/fixtures/images/make_fixtures.py
// with Pillow and transformers) and raw files.
//
//===----------------------------------------------------------------------===//

#ifndef TEST_UNIT_RUNTIME_IMAGE_FIXTURES_H
#define TEST_UNIT_RUNTIME_IMAGE_FIXTURES_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace gemma::image::testing {

inline std::string FixturePath(const std::string &file) {
  return std::string(GEMMA_SOURCE_DIR) + "/test/fixtures/images/" + file;
}

inline std::vector<uint8_t> FixtureBytes(const std::string &file) {
  std::ifstream in(FixturePath(file), std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline const nlohmann::json &Manifest() {
  static const nlohmann::json manifest = [] {
    std::ifstream in(FixturePath("manifest.json"));
    return nlohmann::json::parse(in);
  }();
  return manifest;
}

} // namespace gemma::image::testing

#endif // TEST_UNIT_RUNTIME_IMAGE_FIXTURES_H

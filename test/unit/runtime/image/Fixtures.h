//===- Fixtures.h - test/fixtures/images for the image tests ----*- C++ -*-===//
//
// The fixtures' manifest (written by test/fixtures/images/make_fixtures.py
// with Pillow and transformers) and raw files.
//
//===----------------------------------------------------------------------===//

#ifndef TEST_UNIT_RUNTIME_IMAGE_FIXTURES_H
#define TEST_UNIT_RUNTIME_IMAGE_FIXTURES_H

#include "runtime/image/ImageDecode.h"

#include <gtest/gtest.h>
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

// The fixture image `name` (a manifest "images" entry) decoded; a failure
// and an empty image where it does not decode.
inline RgbImage Decoded(const std::string &name) {
  for (const auto &entry : Manifest()["images"])
    if (entry["name"] == name) {
      absl::StatusOr<RgbImage> image =
          ReadImageFile(FixturePath(entry["file"].get<std::string>()));
      EXPECT_TRUE(image.ok()) << image.status();
      return image.ok() ? *image : RgbImage{};
    }
  ADD_FAILURE() << "no fixture " << name;
  return {};
}

} // namespace gemma::image::testing

#endif // TEST_UNIT_RUNTIME_IMAGE_FIXTURES_H

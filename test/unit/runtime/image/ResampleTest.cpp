//===- ResampleTest.cpp - Pillow's resize and the processors' values ------===//

#include "runtime/image/Resample.h"
#include "runtime/image/ImageDecode.h"
#include "runtime/image/PixelValues.h"

#include "test/unit/runtime/image/Fixtures.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

namespace gemma::image {
namespace {

using testing::Decoded;
using testing::FixtureBytes;
using testing::Manifest;

// Pillow's BILINEAR and BICUBIC resize, byte for byte: reductions (where
// the support widens), enlargements, one axis only, a 1x1 result and the
// unchanged size, one axis growing while the other shrinks, on a smooth
// image, a photo and a composited RGBA (Pillow 12.0.0's results).
TEST(Resample, EveryCaseMatchesPillowByteForByte) {
  ASSERT_GE(Manifest()["resizes"].size(), 40u);
  for (const auto &entry : Manifest()["resizes"]) {
    const std::string file = entry["file"];
    SCOPED_TRACE(file);
    const RgbImage in = Decoded(entry["image"]);
    const Filter filter =
        entry["filter"] == "bilinear" ? Filter::kBilinear : Filter::kBicubic;
    const RgbImage out = Resize(in, entry["width"].get<int64_t>(),
                                entry["height"].get<int64_t>(), filter);
    const std::vector<uint8_t> want = FixtureBytes(file);
    ASSERT_EQ(out.pixels.size(), want.size());
    size_t differing = 0, first = 0;
    for (size_t i = 0; i < want.size(); ++i)
      if (out.pixels[i] != want[i] && differing++ == 0)
        first = i;
    EXPECT_EQ(differing, 0u)
        << "first at byte " << first << ": " << int(out.pixels[first]) << " vs "
        << int(want[first]);
  }
}

// Gemma3ImageProcessorPil's pixel_values (resize, rescale, normalize),
// bit for bit, from the files (so decoding, compositing and resizing are
// all in it).
TEST(PixelValues, MatchGemma3PilProcessorBitForBit) {
  ASSERT_GE(Manifest()["pixels"].size(), 3u);
  for (const auto &entry : Manifest()["pixels"]) {
    const std::string file = entry["file"];
    SCOPED_TRACE(file);
    ImageProcessing processing;
    processing.width = entry["width"];
    processing.height = entry["height"];
    const std::vector<float> got =
        PixelValues(Decoded(entry["image"]), processing);
    const std::vector<uint8_t> bytes = FixtureBytes(file);
    ASSERT_EQ(got.size() * 4, bytes.size());
    std::vector<float> want(got.size());
    std::memcpy(want.data(), bytes.data(), bytes.size());
    size_t differing = 0;
    for (size_t i = 0; i < want.size(); ++i)
      differing += std::memcmp(&got[i], &want[i], 4) != 0;
    EXPECT_EQ(differing, 0u);
    // Not a trivially equal pair: the values spread over the range.
    const auto [lo, hi] = std::minmax_element(want.begin(), want.end());
    EXPECT_GT(*hi - *lo, 0.5f);
  }
}

} // namespace
} // namespace gemma::image

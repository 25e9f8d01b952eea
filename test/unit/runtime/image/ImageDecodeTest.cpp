//===- ImageDecodeTest.cpp - PNG and JPEG decoding against Pillow ---------===//

#include "runtime/image/ImageDecode.h"

#include "test/unit/runtime/image/Fixtures.h"

#include <gtest/gtest.h>

#include <cstring>

namespace gemma::image {
namespace {

using testing::FixtureBytes;
using testing::FixturePath;
using testing::Manifest;

// Every fixture file (each PNG color type and depth Pillow opens, palettes
// with and without alpha, interlacing, baseline, 4:4:4 and progressive
// JPEG) gives the bytes transformers' convert_to_rgb gave, all of them.
TEST(ImageDecode, EveryModeMatchesTransformersRgbConversion) {
  ASSERT_GE(Manifest()["images"].size(), 15u);
  for (const auto &entry : Manifest()["images"]) {
    const std::string name = entry["name"];
    SCOPED_TRACE(name + " (Pillow mode " +
                 entry["pillow_mode"].get<std::string>() + ")");
    absl::StatusOr<RgbImage> image =
        ReadImageFile(FixturePath(entry["file"].get<std::string>()));
    ASSERT_TRUE(image.ok()) << image.status();
    ASSERT_EQ(image->width, entry["width"].get<int64_t>());
    ASSERT_EQ(image->height, entry["height"].get<int64_t>());
    const std::vector<uint8_t> want = FixtureBytes(name + ".rgb");
    ASSERT_EQ(image->pixels.size(), want.size());
    size_t differing = 0, first = 0;
    for (size_t i = 0; i < want.size(); ++i)
      if (image->pixels[i] != want[i] && differing++ == 0)
        first = i;
    EXPECT_EQ(differing, 0u)
        << "first at byte " << first << ": " << int(image->pixels[first])
        << " vs " << int(want[first]);
  }
}

// A file cut short, one with a damaged byte in its data, something else
// entirely and a missing file: one line naming the file and the problem.
TEST(ImageDecode, BrokenFilesAreRefusedByName) {
  for (const char *file : {"rgb.png", "photo.jpg"}) {
    SCOPED_TRACE(file);
    std::vector<uint8_t> bytes = FixtureBytes(file);
    ASSERT_GT(bytes.size(), 200u);
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + 120);
    absl::StatusOr<RgbImage> image = DecodeImage(cut, "cut.img");
    ASSERT_FALSE(image.ok());
    EXPECT_NE(image.status().message().find("cut.img: not a valid"),
              std::string::npos)
        << image.status();
  }
  std::vector<uint8_t> png = FixtureBytes("rgb.png");
  png[png.size() / 2] ^= 0x5A; // inside the compressed data: a CRC error
  absl::StatusOr<RgbImage> damaged = DecodeImage(png, "damaged.png");
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(damaged.status().message().find("damaged.png: not a valid PNG"),
            std::string::npos)
      << damaged.status();
  const std::string text = "GIF89a and then some";
  absl::StatusOr<RgbImage> other = DecodeImage(
      std::span(reinterpret_cast<const uint8_t *>(text.data()), text.size()),
      "a.gif");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().message(), "a.gif: not a PNG or JPEG file");
  absl::StatusOr<RgbImage> missing = ReadImageFile(FixturePath("none.png"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("none.png: cannot open"),
            std::string::npos);
}

// Files this loader does not convert as Pillow would (a CMYK JPEG, a 16-bit
// gray PNG with a tRNS key) are refused, naming the file and the reason.
TEST(ImageDecode, UnsupportedModesAreRefusedByName) {
  ASSERT_GE(Manifest()["refused"].size(), 2u);
  for (const auto &entry : Manifest()["refused"]) {
    const std::string file = entry["file"];
    SCOPED_TRACE(file);
    absl::StatusOr<RgbImage> image = ReadImageFile(FixturePath(file));
    ASSERT_FALSE(image.ok());
    EXPECT_EQ(image.status().message(),
              FixturePath(file) + ": " + entry["error"].get<std::string>());
  }
}

// A header claiming more pixels than Pillow's decompression-bomb limit is
// refused before any pixel buffer is allocated.
TEST(ImageDecode, HugeDimensionsAreRefusedBeforeDecoding) {
  std::vector<uint8_t> png = FixtureBytes("rgb.png");
  // IHDR's width and height (big-endian, bytes 16-23); the CRC after them
  // is then wrong, so libpng must not get as far as checking it: our size
  // check runs on the header libpng has read (CRC errors on IHDR are
  // fatal, so fix the CRC too).
  const uint32_t side = 20000;
  for (int i = 0; i < 4; ++i)
    png[16 + i] = png[20 + i] = uint8_t(side >> (24 - 8 * i));
  // The IHDR CRC (bytes 29-32) over "IHDR" + its 13 data bytes.
  uint32_t crc = 0xFFFFFFFFu;
  for (int i = 12; i < 29; ++i) {
    crc ^= png[size_t(i)];
    for (int k = 0; k < 8; ++k)
      crc = crc & 1 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
  }
  crc ^= 0xFFFFFFFFu;
  for (int i = 0; i < 4; ++i)
    png[29 + size_t(i)] = uint8_t(crc >> (24 - 8 * i));
  absl::StatusOr<RgbImage> image = DecodeImage(png, "bomb.png");
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.status().message(),
            "bomb.png: 20000x20000 is more than 178956970 pixels");
}

} // namespace
} // namespace gemma::image

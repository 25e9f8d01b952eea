//===- ImageDecode.cpp - PNG and JPEG files to RGB ------------------------===//
//
// Both libraries report errors by longjmp: each decoder keeps everything
// with a destructor outside the function that calls setjmp, and the error
// handlers only copy the message before jumping back.
//
//===----------------------------------------------------------------------===//

#include "runtime/image/ImageDecode.h"

#include <fmt/format.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

// clang-format off: jpeglib.h needs <cstdio> first.
#include <jpeglib.h>
#include <png.h>
// clang-format on

namespace gemma::image {
namespace {

absl::Status Refuse(const std::string &name, const std::string &why) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", name, why));
}

absl::Status CheckSize(const std::string &name, uint64_t width,
                       uint64_t height) {
  if (width == 0 || height == 0)
    return Refuse(name, "the image is empty");
  if (width > uint64_t(kMaxImagePixels) ||
      width * height > uint64_t(kMaxImagePixels))
    return Refuse(name, fmt::format("{}x{} is more than {} pixels", width,
                                    height, kMaxImagePixels));
  return absl::OkStatus();
}

// Pillow's alpha_composite of (c, a) over opaque white, one channel: its
// integer formula with 7 extra bits, the division by 255 by shifts.
uint8_t OverWhite(uint32_t c, uint32_t a) {
  if (a == 0)
    return 255;
  constexpr uint32_t kBits = 7;
  const uint32_t t =
      ((c * a + 255 * (255 - a)) << kBits) + (uint32_t(0x80) << kBits);
  return uint8_t((((t >> 8) + t) >> 8) >> kBits);
}

// Rows of `channels` 8-bit samples (gray, gray + alpha, RGB, RGBA) as RGB.
void ToRgb(const uint8_t *in, int channels, int64_t count, uint8_t *out) {
  for (int64_t i = 0; i < count; ++i, in += channels, out += 3) {
    switch (channels) {
    case 1:
      out[0] = out[1] = out[2] = in[0];
      break;
    case 2:
      out[0] = out[1] = out[2] = OverWhite(in[0], in[1]);
      break;
    case 3:
      std::memcpy(out, in, 3);
      break;
    default:
      for (int c = 0; c < 3; ++c)
        out[c] = OverWhite(in[c], in[3]);
    }
  }
}

// --- PNG -------------------------------------------------------------------

struct PngInput {
  std::span<const uint8_t> bytes;
  size_t at = 0;
  char error[200] = {};
};

void PngRead(png_structp png, png_bytep out, size_t n) {
  auto *input = static_cast<PngInput *>(png_get_io_ptr(png));
  if (n > input->bytes.size() - input->at)
    png_error(png, "the file ends early");
  std::memcpy(out, input->bytes.data() + input->at, n);
  input->at += n;
}

void PngError(png_structp png, png_const_charp message) {
  auto *input = static_cast<PngInput *>(png_get_error_ptr(png));
  std::snprintf(input->error, sizeof(input->error), "%s", message);
  png_longjmp(png, 1);
}

void PngWarning(png_structp, png_const_charp) {}

// What the PNG header says and how its rows are read.
struct PngLayout {
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0;
  bool transparency = false;
  int channels = 0;     // per pixel after the transforms
  size_t row_bytes = 0; // after the transforms
  bool gray16 = false;  // 16-bit gray kept 16-bit (clipped later)
};

// The decode proper: no object with a destructor lives here, as libpng's
// errors longjmp back into it. `on_layout` sizes the caller's `rows` (one
// pointer a row) once the header is read; false on a libpng error (message
// in input.error) or when on_layout refuses.
template <class OnLayout>
bool DecodePng(PngInput &input, PngLayout &layout, OnLayout &&on_layout,
               std::vector<png_bytep> &rows) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &input,
                                           PngError, PngWarning);
  if (!png)
    return false;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    return false;
  }
  png_set_read_fn(png, &input, PngRead);
  png_read_info(png, info);
  png_get_IHDR(png, info, &layout.width, &layout.height, &layout.bit_depth,
               &layout.color_type, nullptr, nullptr, nullptr);
  layout.transparency = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  layout.gray16 = layout.bit_depth == 16 &&
                  layout.color_type == PNG_COLOR_TYPE_GRAY &&
                  !layout.transparency;
  if (layout.color_type == PNG_COLOR_TYPE_PALETTE)
    png_set_palette_to_rgb(png);
  if (layout.color_type == PNG_COLOR_TYPE_GRAY && layout.bit_depth < 8)
    png_set_expand_gray_1_2_4_to_8(png);
  if (layout.transparency)
    png_set_tRNS_to_alpha(png);
  if (layout.bit_depth == 16 && !layout.gray16)
    png_set_strip_16(png); // the high byte, as Pillow's ";16B" modes
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  layout.channels = png_get_channels(png, info);
  layout.row_bytes = png_get_rowbytes(png, info);
  if (!on_layout(layout)) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

absl::StatusOr<RgbImage> ReadPng(std::span<const uint8_t> bytes,
                                 const std::string &name) {
  PngInput input{bytes};
  PngLayout layout;
  std::vector<uint8_t> samples;
  std::vector<png_bytep> rows;
  absl::Status refused;
  const auto on_layout = [&](const PngLayout &l) {
    refused = CheckSize(name, l.width, l.height);
    if (refused.ok() && l.bit_depth == 16 &&
        l.color_type == PNG_COLOR_TYPE_GRAY && l.transparency)
      refused = Refuse(name, "16-bit gray PNGs with a tRNS transparency are "
                             "not supported");
    if (!refused.ok())
      return false;
    samples.resize(l.row_bytes * l.height);
    rows.resize(l.height);
    for (png_uint_32 y = 0; y < l.height; ++y)
      rows[y] = samples.data() + y * l.row_bytes;
    return true;
  };
  if (!DecodePng(input, layout, on_layout, rows)) {
    if (!refused.ok())
      return refused;
    return Refuse(name,
                  fmt::format("not a valid PNG file ({})",
                              input.error[0] ? input.error : "libpng failed"));
  }
  RgbImage image{int64_t(layout.width), int64_t(layout.height), {}};
  image.pixels.resize(size_t(image.width * image.height * 3));
  for (int64_t y = 0; y < image.height; ++y) {
    const uint8_t *row = samples.data() + y * layout.row_bytes;
    if (layout.gray16) {
      // Pillow's I;16 -> RGB: values past 255 clip to 255.
      uint8_t *out = image.Row(y);
      for (int64_t x = 0; x < image.width; ++x) {
        const uint32_t v = uint32_t(row[2 * x]) << 8 | row[2 * x + 1];
        out[3 * x] = out[3 * x + 1] = out[3 * x + 2] =
            uint8_t(v > 255 ? 255 : v);
      }
      continue;
    }
    ToRgb(row, layout.channels, image.width, image.Row(y));
  }
  return image;
}

// --- JPEG ------------------------------------------------------------------

struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
};

void JpegError(j_common_ptr info) {
  auto *errors = reinterpret_cast<JpegErrors *>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

void JpegWarning(j_common_ptr, int) {}

// Header facts the caller checks before any pixel is decoded.
struct JpegLayout {
  JDIMENSION width = 0, height = 0;
  J_COLOR_SPACE space = JCS_UNKNOWN;
  int components = 0;
};

// The decode proper, no destructors (libjpeg's errors longjmp here).
template <class OnLayout>
bool DecodeJpeg(std::span<const uint8_t> bytes, JpegErrors &errors,
                JpegLayout &layout, OnLayout &&on_layout,
                std::vector<uint8_t> &samples) {
  jpeg_decompress_struct info;
  info.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = JpegError;
  errors.manager.emit_message = JpegWarning;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  layout = {info.image_width, info.image_height, info.jpeg_color_space,
            info.num_components};
  if (!on_layout(layout)) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  // libjpeg's defaults are Pillow's: the accurate integer IDCT and fancy
  // upsampling. Gray stays gray (replicated by the caller).
  info.out_color_space =
      layout.space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&info);
  const size_t row_bytes = size_t(info.output_width) * info.output_components;
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = samples.data() + info.output_scanline * row_bytes;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return true;
}

absl::StatusOr<RgbImage> ReadJpeg(std::span<const uint8_t> bytes,
                                  const std::string &name) {
  JpegErrors errors;
  JpegLayout layout;
  std::vector<uint8_t> samples;
  absl::Status refused;
  const auto on_layout = [&](const JpegLayout &l) {
    refused = CheckSize(name, l.width, l.height);
    if (refused.ok() && (l.space == JCS_CMYK || l.space == JCS_YCCK))
      refused = Refuse(name, "CMYK JPEGs are not supported");
    if (!refused.ok())
      return false;
    samples.resize(size_t(l.width) * l.height *
                   (l.space == JCS_GRAYSCALE ? 1 : 3));
    return true;
  };
  if (!DecodeJpeg(bytes, errors, layout, on_layout, samples)) {
    if (!refused.ok())
      return refused;
    return Refuse(name, fmt::format("not a valid JPEG file ({})",
                                    errors.message[0] ? errors.message
                                                      : "libjpeg failed"));
  }
  RgbImage image{int64_t(layout.width), int64_t(layout.height), {}};
  image.pixels.resize(size_t(image.width * image.height * 3));
  ToRgb(samples.data(), layout.space == JCS_GRAYSCALE ? 1 : 3,
        image.width * image.height, image.pixels.data());
  return image;
}

} // namespace

absl::StatusOr<RgbImage> DecodeImage(std::span<const uint8_t> bytes,
                                     const std::string &name) {
  static constexpr uint8_t kPng[8] = {0x89, 'P',  'N',  'G',
                                      '\r', '\n', 0x1A, '\n'};
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPng, 8) == 0)
    return ReadPng(bytes, name);
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 &&
      bytes[2] == 0xFF)
    return ReadJpeg(bytes, name);
  return Refuse(name, "not a PNG or JPEG file");
}

absl::StatusOr<RgbImage> ReadImageFile(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return absl::NotFoundError(
        fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                             std::istreambuf_iterator<char>());
  if (file.bad())
    return absl::DataLossError(fmt::format("{}: cannot read", path));
  return DecodeImage(bytes, path);
}

} // namespace gemma::image

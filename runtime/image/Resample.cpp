//===- Resample.cpp - Pillow's resize of 8-bit RGB images -----------------===//

#include "runtime/image/Resample.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gemma::image {
namespace {

// Fraction bits of the fixed-point coefficients: 8-bit samples times
// coefficients summed in 32 bits, with two bits to spare.
constexpr int kPrecisionBits = 32 - 8 - 2;

double Triangle(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

double Cubic(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0)
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0)
    return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

// For each output position along one axis: the first input index, how
// many inputs it reads, and their fixed-point weights (`size` a position).
struct Coefficients {
  int64_t size = 0;
  std::vector<int64_t> first, count;
  std::vector<int32_t> weights;
};

Coefficients Precompute(int64_t in_size, int64_t out_size, Filter filter) {
  const double filter_support = filter == Filter::kBilinear ? 1.0 : 2.0;
  double (*const kernel)(double) =
      filter == Filter::kBilinear ? Triangle : Cubic;
  // (Pillow's box is the whole input: in0 = 0, in1 = in_size, as floats.)
  const double scale = double(float(in_size)) / double(out_size);
  const double filter_scale = std::max(scale, 1.0);
  const double support = filter_support * filter_scale;
  Coefficients c;
  c.size = int64_t(std::ceil(support)) * 2 + 1;
  c.first.resize(size_t(out_size));
  c.count.resize(size_t(out_size));
  c.weights.assign(size_t(out_size * c.size), 0);
  std::vector<double> k(size_t(c.size));
  for (int64_t o = 0; o < out_size; ++o) {
    const double center = (double(o) + 0.5) * scale;
    const double inverse = 1.0 / filter_scale;
    // Truncating casts, as Pillow's (int) on values it offset by 0.5.
    int64_t lo = int64_t(center - support + 0.5);
    lo = std::max<int64_t>(lo, 0);
    int64_t hi = int64_t(center + support + 0.5);
    hi = std::min(hi, in_size);
    const int64_t n = hi - lo;
    double total = 0.0;
    for (int64_t x = 0; x < n; ++x) {
      k[size_t(x)] = kernel((double(x + lo) - center + 0.5) * inverse);
      total += k[size_t(x)];
    }
    for (int64_t x = 0; x < n; ++x) {
      double w = k[size_t(x)];
      if (total != 0.0)
        w /= total;
      const double fixed = w * double(1 << kPrecisionBits);
      c.weights[size_t(o * c.size + x)] =
          int32_t(w < 0 ? -0.5 + fixed : 0.5 + fixed);
    }
    c.first[size_t(o)] = lo;
    c.count[size_t(o)] = n;
  }
  return c;
}

uint8_t Clip8(int32_t v) {
  if (v >= (1 << kPrecisionBits << 8))
    return 255;
  if (v <= 0)
    return 0;
  return uint8_t(v >> kPrecisionBits);
}

// Rows [first, first + out.height) of `in`, resampled horizontally.
void Horizontal(const RgbImage &in, int64_t first, const Coefficients &c,
                RgbImage &out) {
  for (int64_t y = 0; y < out.height; ++y) {
    const uint8_t *row = in.Row(y + first);
    uint8_t *dst = out.Row(y);
    for (int64_t x = 0; x < out.width; ++x) {
      const int32_t *w = c.weights.data() + x * c.size;
      const uint8_t *src = row + c.first[size_t(x)] * 3;
      for (int ch = 0; ch < 3; ++ch) {
        int32_t sum = 1 << (kPrecisionBits - 1);
        for (int64_t i = 0; i < c.count[size_t(x)]; ++i)
          sum += int32_t(src[i * 3 + ch]) * w[i];
        dst[x * 3 + ch] = Clip8(sum);
      }
    }
  }
}

// `in` resampled vertically, row indices of `c` shifted by -shift.
void Vertical(const RgbImage &in, int64_t shift, const Coefficients &c,
              RgbImage &out) {
  for (int64_t y = 0; y < out.height; ++y) {
    const int32_t *w = c.weights.data() + y * c.size;
    const int64_t first = c.first[size_t(y)] - shift;
    for (int64_t x = 0; x < out.width * 3; ++x) {
      int32_t sum = 1 << (kPrecisionBits - 1);
      for (int64_t i = 0; i < c.count[size_t(y)]; ++i)
        sum += int32_t(in.Row(first + i)[x]) * w[i];
      out.Row(y)[x] = Clip8(sum);
    }
  }
}

RgbImage Blank(int64_t width, int64_t height) {
  return {width, height, std::vector<uint8_t>(size_t(width * height * 3))};
}

} // namespace

RgbImage Resize(const RgbImage &in, int64_t width, int64_t height,
                Filter filter) {
  if (width == in.width && height == in.height)
    return in; // Pillow returns a copy
  const Coefficients across = Precompute(in.width, width, filter);
  const Coefficients down = Precompute(in.height, height, filter);
  // The input rows the vertical pass reads: only those are resampled
  // horizontally.
  const int64_t first = down.first.front();
  const int64_t last = down.first.back() + down.count.back();
  const bool horizontal = width != in.width, vertical = height != in.height;
  if (!vertical) {
    RgbImage out = Blank(width, in.height);
    Horizontal(in, 0, across, out);
    return out;
  }
  if (!horizontal) {
    RgbImage out = Blank(width, height);
    Vertical(in, 0, down, out);
    return out;
  }
  RgbImage rows = Blank(width, last - first);
  Horizontal(in, first, across, rows);
  RgbImage out = Blank(width, height);
  Vertical(rows, first, down, out);
  return out;
}

} // namespace gemma::image

//===- Fields.h - gemma.cpp's IFields serialization ------------*- C++ -*-===//
//
// docs/formats/sbs.md section 3. An object is a sequence of u32 words
// [S][fields...] with S the number of words that follow; fields come in the
// order a struct's VisitFields names them, without tags. Fields may only be
// appended: a reader that knows more fields than a record holds keeps its
// defaults for the missing ones (at every level); a record with more fields
// than the reader knows is accepted at top level (counted) but is an error for
// nested structs, exactly as in gemma.cpp.
//
// A struct takes part by defining
//   template <class V> void VisitFields(V &v) { v("name", field); ... }
// and, for each enum type it holds, a free function `bool EnumValid(E)`.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_SBS_FIELDS_H
#define RUNTIME_FORMATS_SBS_FIELDS_H

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace gemma {

// What reading a top-level record found beyond the fields it knows.
struct FieldsReport {
  uint32_t extra_words = 0;    // words after the known fields (top level)
  uint32_t missing_fields = 0; // known fields the record did not hold
};

namespace fields_detail {

template <class T, class = void> struct IsStruct : std::false_type {};
template <class T>
struct IsStruct<T, std::void_t<decltype(&T::template VisitFields<int>)>>
    : std::true_type {};

constexpr size_t kMaxVector = 65536;
constexpr size_t kMaxStringWords = 64;

} // namespace fields_detail

// Appends the words of fields to a vector.
class FieldWriter {
public:
  template <class T> void operator()(const char *, const T &value) {
    Put(value);
  }

  std::vector<uint32_t> words;

  template <class S> static std::vector<uint32_t> Record(const S &object) {
    FieldWriter writer;
    writer.PutStruct(object);
    return writer.words;
  }

private:
  void Put(uint32_t v) { words.push_back(v); }
  void Put(int32_t v) { words.push_back(static_cast<uint32_t>(v)); }
  void Put(uint64_t v) {
    words.push_back(static_cast<uint32_t>(v));
    words.push_back(static_cast<uint32_t>(v >> 32));
  }
  void Put(float v) {
    uint32_t bits = 0;
    std::memcpy(&bits, &v, sizeof(bits));
    words.push_back(bits);
  }
  void Put(bool v) { words.push_back(v ? 1 : 0); }
  void Put(const std::string &s) {
    words.push_back(static_cast<uint32_t>((s.size() + 3) / 4));
    for (size_t i = 0; i < s.size(); i += 4) {
      uint32_t word = 0;
      for (size_t b = 0; b < 4 && i + b < s.size(); ++b)
        word |= static_cast<uint32_t>(static_cast<uint8_t>(s[i + b]))
                << (8 * b);
      words.push_back(word);
    }
  }
  template <class T> void Put(const std::vector<T> &v) {
    words.push_back(static_cast<uint32_t>(v.size()));
    for (const T &element : v)
      Put(element);
  }
  template <class T> void Put(const T &v) {
    if constexpr (std::is_enum_v<T>) {
      words.push_back(static_cast<uint32_t>(v));
    } else {
      PutStruct(v);
    }
  }
  template <class S> void PutStruct(const S &object) {
    size_t size_at = words.size();
    words.push_back(0);
    const_cast<S &>(object).VisitFields(*this);
    words[size_at] = static_cast<uint32_t>(words.size() - size_at - 1);
  }
};

// Reads fields from words, checking every bound and value.
class FieldReader {
public:
  FieldReader(std::span<const uint32_t> words, std::string context)
      : words_(words), context_(std::move(context)), end_(words.size()) {}

  // Reads one top-level record starting at `pos`; on success `pos` is the
  // first word after it.
  template <class S>
  absl::Status ReadRecord(S &object, size_t &pos, FieldsReport *report) {
    pos_ = pos;
    ReadStruct(object, /*nested=*/false, report);
    absl::Status status = status_;
    pos = pos_;
    return status;
  }

  template <class T> void operator()(const char *name, T &value) {
    if (!status_.ok())
      return;
    if (pos_ >= end_) { // the record ended before this field: keep default
      ++missing_;
      return;
    }
    field_ = name;
    Get(value);
  }

private:
  void Fail(std::string_view what) {
    if (status_.ok())
      status_ = absl::InvalidArgumentError(
          fmt::format("{}: {}{}{}: {}", context_, struct_,
                      field_.empty() ? "" : ".", field_, what));
  }

  bool Take(uint32_t &word) {
    if (pos_ >= end_) {
      Fail("record ends inside the field");
      return false;
    }
    word = words_[pos_++];
    return true;
  }

  void Get(uint32_t &v) { Take(v); }
  void Get(int32_t &v) {
    uint32_t w = 0;
    if (Take(w))
      v = static_cast<int32_t>(w);
  }
  void Get(uint64_t &v) {
    uint32_t lo = 0, hi = 0;
    if (Take(lo) && Take(hi))
      v = lo | (static_cast<uint64_t>(hi) << 32);
  }
  void Get(float &v) {
    uint32_t w = 0;
    if (!Take(w))
      return;
    float f = 0.0f;
    std::memcpy(&f, &w, sizeof(f));
    if (!std::isfinite(f)) {
      Fail(fmt::format("non-finite float (bits {:#010x})", w));
      return;
    }
    v = f;
  }
  void Get(bool &v) {
    uint32_t w = 0;
    if (!Take(w))
      return;
    if (w > 1) {
      Fail(fmt::format("invalid bool {}", w));
      return;
    }
    v = w == 1;
  }
  void Get(std::string &s) {
    uint32_t k = 0;
    if (!Take(k))
      return;
    if (k > fields_detail::kMaxStringWords) {
      Fail(fmt::format("string of {} words (at most {})", k,
                       fields_detail::kMaxStringWords));
      return;
    }
    std::string out;
    for (uint32_t i = 0; i < k; ++i) {
      uint32_t w = 0;
      if (!Take(w))
        return;
      if (w == 0) {
        Fail("string holds an all-zero word");
        return;
      }
      for (int b = 0; b < 4; ++b) {
        auto c = static_cast<uint8_t>(w >> (8 * b));
        if (c >= 0x80) {
          Fail(fmt::format("string holds a non-ASCII byte {:#04x}", c));
          return;
        }
        out.push_back(static_cast<char>(c));
      }
    }
    while (!out.empty() && out.back() == '\0')
      out.pop_back();
    s = std::move(out);
  }
  template <class T> void Get(std::vector<T> &v) {
    uint32_t count = 0;
    if (!Take(count))
      return;
    if (count > fields_detail::kMaxVector) {
      Fail(fmt::format("vector of {} elements (at most {})", count,
                       fields_detail::kMaxVector));
      return;
    }
    // Each element takes at least one word: refuse counts the record
    // cannot hold before allocating.
    if (count > end_ - pos_) {
      Fail(fmt::format("vector of {} elements in {} remaining words", count,
                       end_ - pos_));
      return;
    }
    std::string field = field_;
    v.assign(count, T{});
    for (uint32_t i = 0; i < count && status_.ok(); ++i) {
      field_ = fmt::format("{}[{}]", field, i);
      Get(v[i]);
    }
  }
  template <class T> void Get(T &v) {
    if constexpr (std::is_enum_v<T>) {
      uint32_t w = 0;
      if (!Take(w))
        return;
      if (!EnumValid(static_cast<T>(w))) {
        Fail(fmt::format("invalid enum value {}", w));
        return;
      }
      v = static_cast<T>(w);
    } else {
      static_assert(fields_detail::IsStruct<T>::value);
      ReadStruct(v, /*nested=*/true, nullptr);
    }
  }

  template <class S>
  void ReadStruct(S &object, bool nested, FieldsReport *report) {
    uint32_t size = 0;
    std::string outer_struct = struct_, outer_field = field_;
    if (!Take(size))
      return;
    if (size > end_ - pos_) {
      Fail(
          fmt::format("record of {} words, only {} remain", size, end_ - pos_));
      return;
    }
    size_t outer_end = end_;
    uint32_t outer_missing = missing_;
    end_ = pos_ + size;
    struct_ = nested ? fmt::format("{}.{}", outer_struct, outer_field)
                     : std::string(S::kName);
    missing_ = 0;
    object.VisitFields(*this);
    if (status_.ok() && pos_ < end_) {
      if (nested) {
        field_ = "";
        Fail(fmt::format("{} more words than the {} fields this reader knows "
                         "(gemma.cpp cannot skip them either)",
                         end_ - pos_, S::kName));
      } else if (report) {
        report->extra_words = static_cast<uint32_t>(end_ - pos_);
      }
      pos_ = end_;
    }
    if (report)
      report->missing_fields = missing_;
    missing_ = outer_missing + missing_;
    end_ = outer_end;
    struct_ = outer_struct;
    field_ = outer_field;
  }

  std::span<const uint32_t> words_;
  std::string context_;
  size_t end_;
  size_t pos_ = 0;
  uint32_t missing_ = 0;
  std::string struct_;
  std::string field_;
  absl::Status status_;
};

// The u32 words of a blob (little-endian), or an error naming it when its
// size is not a multiple of 4.
absl::StatusOr<std::vector<uint32_t>> BlobWords(std::span<const uint8_t> blob,
                                                std::string_view what);

std::vector<uint8_t> WordsToBytes(const std::vector<uint32_t> &words);

} // namespace gemma

#endif // RUNTIME_FORMATS_SBS_FIELDS_H

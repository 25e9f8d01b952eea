//===- JsonFields.h - Fields of an untrusted JSON answer --------*- C++ -*-===//
//
// nlohmann's value() throws when a field has another type; a server's
// answer is untrusted, so a field of the wrong type reads as absent.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_FETCH_JSONFIELDS_H
#define TOOLS_GEMMA_FETCH_JSONFIELDS_H

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <string>

namespace gemma::fetch {

inline std::string StringField(const nlohmann::json &object, const char *name) {
  if (!object.is_object())
    return "";
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

inline int64_t IntField(const nlohmann::json &object, const char *name,
                        int64_t absent = 0) {
  if (!object.is_object())
    return absent;
  const auto it = object.find(name);
  if (it == object.end())
    return absent;
  // (Unsigned first: nlohmann counts an unsigned value as an integer too,
  // and one past INT64_MAX would wrap.)
  if (it->is_number_unsigned())
    return int64_t(std::min<uint64_t>(it->get<uint64_t>(), INT64_MAX));
  if (it->is_number_integer())
    return it->get<int64_t>();
  return absent;
}

} // namespace gemma::fetch

#endif // TOOLS_GEMMA_FETCH_JSONFIELDS_H

//===- Sha256.h - SHA-256 computed while a download is written --*- C++ -*-===//
//
// The Hub names each large (LFS) file by the SHA-256 of its bytes; a
// download is checked against it before it enters the cache. OpenSSL's
// libcrypto computes it (libcurl is linked with it already).
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_FETCH_SHA256_H
#define TOOLS_GEMMA_FETCH_SHA256_H

#include "absl/status/statusor.h"

#include <cstddef>
#include <string>

namespace gemma::fetch {

class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256 &) = delete;
  Sha256 &operator=(const Sha256 &) = delete;

  void Update(const void *data, size_t size);
  // Lower-case hex of the bytes so far; the hash cannot be updated after.
  std::string HexDigest();

private:
  void *context_;
};

// Feeds a whole file to `hash`: a resumed download first hashes the part
// it already has.
absl::Status HashFile(const std::string &path, Sha256 &hash);

} // namespace gemma::fetch

#endif // TOOLS_GEMMA_FETCH_SHA256_H

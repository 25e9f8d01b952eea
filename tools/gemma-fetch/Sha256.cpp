//===- Sha256.cpp - SHA-256 computed while a download is written ----------===//

#include "tools/gemma-fetch/Sha256.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace gemma::fetch {

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX *>(context_), EVP_sha256(), nullptr);
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(context_)); }

void Sha256::Update(const void *data, size_t size) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX *>(context_), data, size);
}

std::string Sha256::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX *>(context_), digest, &size);
  std::string hex;
  for (unsigned int i = 0; i < size; ++i)
    hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

absl::Status HashFile(const std::string &path, Sha256 &hash) {
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return absl::NotFoundError(
        fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  std::vector<char> block(size_t(1) << 20);
  size_t got = 0;
  while ((got = std::fread(block.data(), 1, block.size(), file)) > 0)
    hash.Update(block.data(), got);
  const bool failed = std::ferror(file);
  std::fclose(file);
  if (failed)
    return absl::DataLossError(fmt::format("cannot read {}", path));
  return absl::OkStatus();
}

} // namespace gemma::fetch

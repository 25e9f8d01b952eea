//===- Transfer.h - One file into the cache, resumable and checked -*- C++
//-*-===//
//
// A download never leaves a damaged file where a model is expected: bytes
// go to BLOB.incomplete (kept across runs, and resumed with a Range
// request), the SHA-256 is computed as they are written and compared with
// the one the server promised, and only then is the file renamed into
// place. A lock file keeps two processes (ours or huggingface_hub's, which
// locks the same path) from writing one blob at once.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_FETCH_TRANSFER_H
#define TOOLS_GEMMA_FETCH_TRANSFER_H

#include "tools/gemma-fetch/Http.h"

#include "absl/status/status.h"

#include <filesystem>
#include <string>
#include <vector>

namespace gemma::fetch {

struct BlobDownload {
  std::string url;
  std::vector<std::string> headers;
  std::filesystem::path blob, incomplete, lock;
  std::string sha256; // expected (lower-case hex), or empty: not checked
  int64_t size = -1;  // expected, or -1: not known
  std::string label;  // the file's name, for progress and errors
};

// Downloads `download.url` into `download.blob` unless it is there already.
absl::Status DownloadBlob(HttpClient &client, const BlobDownload &download);

// "1.2 GB": bytes in the units people read.
std::string HumanBytes(double bytes);

} // namespace gemma::fetch

#endif // TOOLS_GEMMA_FETCH_TRANSFER_H

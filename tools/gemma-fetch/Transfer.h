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
#include "absl/status/statusor.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace gemma::fetch {

// An exclusive flock on a file, held for the object's life (the kind of
// lock huggingface_hub's filelock takes on the same paths). The file is
// never deleted: a process waiting on it would then hold a lock nobody
// else sees.
class FileLock {
public:
  // Waits, saying so on stderr, while another process holds it.
  static absl::StatusOr<std::unique_ptr<FileLock>>
  Acquire(const std::filesystem::path &path, const std::string &label);
  ~FileLock();
  FileLock(const FileLock &) = delete;
  FileLock &operator=(const FileLock &) = delete;

private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

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

// A header's decimal count ("1234"), or -1 when it is not one (empty,
// signed, other characters, too long): an untrusted size is then unknown.
int64_t ParseCount(const std::string &text);

// "1.2 GB": bytes in the units people read.
std::string HumanBytes(double bytes);

} // namespace gemma::fetch

#endif // TOOLS_GEMMA_FETCH_TRANSFER_H

//===- Transfer.cpp - One file into the cache, resumable and checked ------===//

#include "tools/gemma-fetch/Transfer.h"

#include "tools/common/Progress.h"
#include "tools/gemma-fetch/Sha256.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace gemma::fetch {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

absl::Status Errno(const std::string &what, const fs::path &path, int error) {
  return absl::InternalError(fmt::format("cannot {} {}: {}", what,
                                         path.string(), std::strerror(error)));
}

// BLOB.incomplete, open for appending, with the SHA-256 of what it holds.
struct Partial {
  int fd = -1;
  int64_t length = 0;
  std::unique_ptr<Sha256> hash;
  int write_error = 0;

  ~Partial() {
    if (fd >= 0)
      ::close(fd);
  }

  absl::Status Restart(const fs::path &path) {
    if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0)
      return Errno("truncate", path, errno);
    length = 0;
    hash = std::make_unique<Sha256>();
    return absl::OkStatus();
  }

  bool Write(const char *data, size_t size) {
    while (size > 0) {
      const ssize_t wrote = ::write(fd, data, size);
      if (wrote < 0) {
        if (errno == EINTR)
          continue;
        write_error = errno;
        return false;
      }
      hash->Update(data, size_t(wrote));
      data += wrote;
      size -= size_t(wrote);
      length += wrote;
    }
    return true;
  }
};

absl::StatusOr<std::unique_ptr<Partial>> OpenPartial(const BlobDownload &d) {
  auto partial = std::make_unique<Partial>();
  partial->fd = ::open(d.incomplete.c_str(),
                       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (partial->fd < 0)
    return Errno("create", d.incomplete, errno);
  partial->hash = std::make_unique<Sha256>();
  const off_t length = ::lseek(partial->fd, 0, SEEK_END);
  if (length < 0)
    return Errno("read", d.incomplete, errno);
  partial->length = length;
  if (d.size >= 0 && partial->length > d.size) {
    if (absl::Status restarted = partial->Restart(d.incomplete);
        !restarted.ok())
      return restarted;
  } else if (partial->length > 0) {
    if (absl::Status hashed = HashFile(d.incomplete, *partial->hash);
        !hashed.ok())
      return hashed;
  }
  return partial;
}

absl::Status CheckSpace(const BlobDownload &d, int64_t have) {
  struct statvfs info;
  if (d.size < 0 || ::statvfs(d.incomplete.parent_path().c_str(), &info) != 0)
    return absl::OkStatus();
  const double free = double(info.f_bavail) * double(info.f_frsize);
  const double need = double(d.size - have);
  if (free < need)
    return absl::ResourceExhaustedError(
        fmt::format("disk full: {} needs {} more, {} has {} free", d.label,
                    HumanBytes(need), d.incomplete.parent_path().string(),
                    HumanBytes(free)));
  return absl::OkStatus();
}

std::string RateLine(double bytes, double seconds) {
  return fmt::format("{}/s", HumanBytes(seconds > 0 ? bytes / seconds : 0));
}

// The first byte a 206's Content-Range (bytes FIRST-LAST/TOTAL) places, or
// -1.
int64_t RangeStart(const HttpResponse &head) {
  const auto it = head.headers.find("content-range");
  if (it == head.headers.end() || !it->second.starts_with("bytes "))
    return -1;
  return ParseCount(it->second.substr(6, it->second.find('-') - 6));
}

// The TOTAL of a 416's Content-Range (bytes */TOTAL), or -1.
int64_t UnsatisfiedTotal(const HttpResponse &head) {
  const auto it = head.headers.find("content-range");
  if (it == head.headers.end() || !it->second.starts_with("bytes */"))
    return -1;
  return ParseCount(it->second.substr(8));
}

// Writes the bodies of one GET's tries into `partial`, drawing progress.
class Receiver {
public:
  Receiver(const BlobDownload &d, Partial &partial)
      : d_(d), partial_(partial), resumed_from_(partial.length) {}

  HttpRequest Request() {
    HttpRequest request;
    request.url = d_.url;
    request.headers = d_.headers;
    request.headers.push_back("Accept-Encoding: identity");
    request.before_try = [this](HttpRequest &r) {
      r.range_from = partial_.length > 0 ? partial_.length : -1;
      asked_from_ = r.range_from;
      started_ = false;
    };
    request.sink = [this](const HttpResponse &head, const char *data,
                          size_t size) { return Take(head, data, size); };
    return request;
  }

  // Why the sink stopped the transfer, when it did for a reason of its own.
  const absl::Status &error() const { return error_; }
  int64_t received() const { return partial_.length - resumed_from_; }
  double seconds() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
  }
  void Done() { bar_.Finish(); }

private:
  bool Take(const HttpResponse &head, const char *data, size_t size) {
    if (!started_) {
      started_ = true;
      if (head.status == 200 && partial_.length > 0) {
        // A 200 to a Range request is the whole file again.
        error_ = partial_.Restart(d_.incomplete);
        if (!error_.ok())
          return false;
      } else if (head.status == 206 && RangeStart(head) != asked_from_) {
        error_ = absl::DataLossError(
            fmt::format("{}: asked for bytes from {}, the server sent '{}'",
                        d_.label, asked_from_,
                        head.headers.count("content-range")
                            ? head.headers.at("content-range")
                            : "no Content-Range"));
        return false;
      }
    }
    if (!partial_.Write(data, size))
      return false;
    const double rate = double(received()) / seconds();
    std::string label =
        fmt::format("{} {}", d_.label, RateLine(double(received()), seconds()));
    if (d_.size > 0 && rate > 0)
      label += fmt::format(" ETA {:.0f} s",
                           double(d_.size - partial_.length) / rate);
    bar_.Update(uint64_t(partial_.length),
                uint64_t(std::max<int64_t>(d_.size, 0)), label);
    return true;
  }

  const BlobDownload &d_;
  Partial &partial_;
  const int64_t resumed_from_;
  int64_t asked_from_ = -1;
  bool started_ = false;
  absl::Status error_;
  ProgressBar bar_;
  const Clock::time_point start_ = Clock::now();
};

// GETs the rest of the file into `partial`, with a progress bar. A 416
// (the range starts at or past the end) means the partial file is whole
// when the server's total says so, else it starts over once.
absl::Status Fetch(HttpClient &client, const BlobDownload &d,
                   Partial &partial) {
  const int64_t resumed_from = partial.length;
  Receiver receiver(d, partial);
  absl::StatusOr<HttpResponse> response = client.Send(receiver.Request());
  if (response.ok() && response->status == 416 && partial.length > 0) {
    if (UnsatisfiedTotal(*response) == partial.length) {
      receiver.Done();
      return absl::OkStatus();
    }
    if (absl::Status restarted = partial.Restart(d.incomplete); !restarted.ok())
      return restarted;
    response = client.Send(receiver.Request());
  }
  receiver.Done();
  if (!receiver.error().ok())
    return receiver.error();
  if (partial.write_error == ENOSPC || partial.write_error == EDQUOT)
    return absl::ResourceExhaustedError(fmt::format(
        "disk full writing {} ({} kept there: run again to resume once "
        "there is room)",
        d.incomplete.string(), HumanBytes(double(partial.length))));
  if (partial.write_error)
    return Errno("write", d.incomplete, partial.write_error);
  if (!response.ok())
    return absl::UnavailableError(
        fmt::format("{}: {} ({} kept: run again to resume)", d.label,
                    std::string(response.status().message()),
                    HumanBytes(double(partial.length))));
  if (response->status != 200 && response->status != 206)
    return absl::UnavailableError(
        fmt::format("{}: the server answered {}", d.label, response->status));
  const std::string resumed =
      resumed_from > 0
          ? fmt::format(", resumed at {}", HumanBytes(double(resumed_from)))
          : "";
  std::fprintf(
      stderr, "gemma-fetch: %s: %s in %.1f s (%s)%s\n", d.label.c_str(),
      HumanBytes(double(receiver.received())).c_str(), receiver.seconds(),
      RateLine(double(receiver.received()), receiver.seconds()).c_str(),
      resumed.c_str());
  return absl::OkStatus();
}

// The whole of `partial` checked and renamed into the blob's place.
absl::Status Finish(const BlobDownload &d, Partial &partial) {
  if (d.size >= 0 && partial.length != d.size)
    return absl::DataLossError(fmt::format(
        "{}: the server sent {} bytes of {} ({} kept: run again to resume)",
        d.label, partial.length, d.size, d.incomplete.string()));
  if (!d.sha256.empty()) {
    const std::string got = partial.hash->HexDigest();
    if (got != d.sha256) {
      std::error_code ignored;
      fs::remove(d.incomplete, ignored);
      return absl::DataLossError(fmt::format(
          "{}: sha256 mismatch: the server promised {}, the bytes hash to {} "
          "(the download was deleted)",
          d.label, d.sha256, got));
    }
  }
  if (::fsync(partial.fd) != 0)
    return Errno("write", d.incomplete, errno);
  std::error_code error;
  fs::rename(d.incomplete, d.blob, error);
  if (error)
    return absl::InternalError(fmt::format("cannot move {} to {}: {}",
                                           d.incomplete.string(),
                                           d.blob.string(), error.message()));
  return absl::OkStatus();
}

bool Present(const BlobDownload &d) {
  std::error_code error;
  const auto size = fs::file_size(d.blob, error);
  return !error && (d.size < 0 || int64_t(size) == d.size);
}

} // namespace

absl::StatusOr<std::unique_ptr<FileLock>>
FileLock::Acquire(const fs::path &path, const std::string &label) {
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return Errno("create the lock", path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::fprintf(stderr,
                 "gemma-fetch: %s: waiting for another download of it to "
                 "end (%s)\n",
                 label.c_str(), path.c_str());
    if (::flock(fd, LOCK_EX) != 0) {
      const int saved = errno;
      ::close(fd);
      return Errno("lock", path, saved);
    }
  }
  return std::unique_ptr<FileLock>(new FileLock(fd));
}

FileLock::~FileLock() { ::close(fd_); }

int64_t ParseCount(const std::string &text) {
  if (text.empty() || text.size() > 18 ||
      text.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  return std::strtoll(text.c_str(), nullptr, 10);
}

std::string HumanBytes(double bytes) {
  const char *units[] = {"B", "KB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1000 && unit < 4) {
    bytes /= 1000;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes)
                   : fmt::format("{:.1f} {}", bytes, units[unit]);
}

absl::Status DownloadBlob(HttpClient &client, const BlobDownload &d) {
  if (Present(d))
    return absl::OkStatus();
  std::error_code error;
  fs::create_directories(d.blob.parent_path(), error);
  if (error)
    return absl::InternalError(fmt::format("cannot create {}: {}",
                                           d.blob.parent_path().string(),
                                           error.message()));
  absl::StatusOr<std::unique_ptr<FileLock>> lock =
      FileLock::Acquire(d.lock, d.label);
  if (!lock.ok())
    return lock.status();
  if (Present(d)) // another process finished it while we waited
    return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<Partial>> partial = OpenPartial(d);
  if (!partial.ok())
    return partial.status();
  if (absl::Status space = CheckSpace(d, (*partial)->length); !space.ok())
    return space;
  if (d.size < 0 || (*partial)->length < d.size)
    if (absl::Status fetched = Fetch(client, d, **partial); !fetched.ok())
      return fetched;
  return Finish(d, **partial);
}

} // namespace gemma::fetch

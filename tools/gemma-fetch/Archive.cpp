//===- Archive.cpp - A downloaded archive unpacked safely -----------------===//

#include "tools/gemma-fetch/Archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <memory>
#include <unistd.h>

namespace gemma::fetch {
namespace {

namespace fs = std::filesystem;

struct ReaderDeleter {
  void operator()(archive *a) const { archive_read_free(a); }
};
struct WriterDeleter {
  void operator()(archive *a) const { archive_write_free(a); }
};

// libarchive's last error, which may be unset.
std::string ArchiveError(archive *a) {
  const char *text = archive_error_string(a);
  return text ? text : "unknown error";
}

absl::Status CopyData(archive *in, archive *out) {
  const void *block = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  for (;;) {
    const int status = archive_read_data_block(in, &block, &size, &offset);
    if (status == ARCHIVE_EOF)
      return absl::OkStatus();
    if (status != ARCHIVE_OK)
      return absl::DataLossError(ArchiveError(in));
    if (archive_write_data_block(out, block, size, offset) != ARCHIVE_OK)
      return absl::InternalError(ArchiveError(out));
  }
}

absl::Status Unpack(const fs::path &archive_path, const fs::path &into) {
  std::unique_ptr<archive, ReaderDeleter> in(archive_read_new());
  archive_read_support_filter_all(in.get());
  archive_read_support_format_all(in.get());
  if (archive_read_open_filename(in.get(), archive_path.c_str(), 1 << 20) !=
      ARCHIVE_OK)
    return absl::DataLossError(fmt::format("{} is not an archive: {}",
                                           archive_path.string(),
                                           ArchiveError(in.get())));
  std::unique_ptr<archive, WriterDeleter> out(archive_write_disk_new());
  archive_write_disk_set_options(out.get(),
                                 ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                     ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                     ARCHIVE_EXTRACT_NO_OVERWRITE);
  for (;;) {
    archive_entry *entry = nullptr;
    const int status = archive_read_next_header(in.get(), &entry);
    if (status == ARCHIVE_EOF)
      return absl::OkStatus();
    if (status != ARCHIVE_OK)
      return absl::DataLossError(
          fmt::format("{}: {}", archive_path.string(), ArchiveError(in.get())));
    const std::string name = archive_entry_pathname(entry);
    const mode_t type = archive_entry_filetype(entry);
    // A hard link reads as a regular file but would tie the entry to
    // whatever file of the user's the link names.
    if ((type != AE_IFREG && type != AE_IFDIR) ||
        archive_entry_hardlink(entry) || archive_entry_symlink(entry))
      return absl::DataLossError(
          fmt::format("{}: entry '{}' is neither a file nor a folder",
                      archive_path.string(), name));
    if (name.empty() || name.front() == '/' ||
        fs::path(name).lexically_normal().string().starts_with(".."))
      return absl::DataLossError(
          fmt::format("{}: entry '{}' points outside the archive",
                      archive_path.string(), name));
    // The entry's own name was checked above; the folder makes it absolute.
    archive_entry_set_pathname(entry, (into / name).c_str());
    archive_entry_set_perm(entry, type == AE_IFDIR ? 0755 : 0644);
    if (archive_write_header(out.get(), entry) != ARCHIVE_OK)
      return absl::DataLossError(fmt::format("{}: entry '{}': {}",
                                             archive_path.string(), name,
                                             ArchiveError(out.get())));
    if (type == AE_IFREG)
      if (absl::Status copied = CopyData(in.get(), out.get()); !copied.ok())
        return absl::DataLossError(fmt::format("{}: entry '{}': {}",
                                               archive_path.string(), name,
                                               std::string(copied.message())));
    if (archive_write_finish_entry(out.get()) != ARCHIVE_OK)
      return absl::InternalError(ArchiveError(out.get()));
  }
}

} // namespace

absl::Status UnpackArchive(const fs::path &archive, const fs::path &target) {
  // The caller holds the version's lock: an unpacking folder already there
  // is a stopped run's, and goes.
  const std::string prefix =
      fmt::format(".{}.unpacking-", target.filename().string());
  std::error_code error;
  for (auto it = fs::directory_iterator(target.parent_path(), error);
       !error && it != fs::directory_iterator(); it.increment(error))
    if (it->path().filename().string().starts_with(prefix)) {
      std::error_code ignored;
      fs::remove_all(it->path(), ignored);
    }
  const fs::path partial =
      target.parent_path() / fmt::format("{}{}", prefix, getpid());
  error.clear();
  fs::create_directories(partial, error);
  // Entries are named from the folder's real path: libarchive's symlink
  // guard would refuse a cache reached through a link (~/.cache -> ...).
  const fs::path real = error ? partial : fs::canonical(partial, error);
  if (error)
    return absl::InternalError(
        fmt::format("cannot create {}: {}", partial.string(), error.message()));
  absl::Status unpacked = Unpack(archive, real);
  if (unpacked.ok()) {
    fs::rename(partial, target, error);
    if (error)
      unpacked = absl::InternalError(
          fmt::format("cannot move {} to {}: {}", partial.string(),
                      target.string(), error.message()));
  }
  fs::remove_all(partial, error);
  return unpacked;
}

} // namespace gemma::fetch

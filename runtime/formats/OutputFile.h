//===- OutputFile.h - Files written whole or not at all ---------*- C++ -*-===//
//
// Every file a tool writes (a plan, a converted weight file, a tokenizer
// model) goes through here, so that no command can destroy a user's file:
// the bytes go to a private temporary beside the destination and are
// renamed over it only when complete, and a destination that is one of the
// command's inputs, a directory, or in a directory that does not exist is
// refused before any work is done.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_FORMATS_OUTPUTFILE_H
#define RUNTIME_FORMATS_OUTPUTFILE_H

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <span>
#include <string>

namespace gemma {

// One line naming `output` when writing it would lose data or cannot work:
// it is one of `inputs` (the same file by device and inode, so another
// spelling of the path or a hard link counts too), a file inside an input
// directory (a checkpoint's own files), a directory, or its directory is
// missing or not writable. OK for a new file or one the user may replace.
absl::Status CheckOutputPath(const std::string &output,
                             std::span<const std::string> inputs = {});

// A file written whole or not at all. Write to temp_path() (a new, empty
// file in the destination's directory, so the final rename is atomic and
// never crosses file systems); Commit() flushes it to disk and renames it
// over the destination. An OutputFile destroyed without a successful
// Commit() removes its temporary: a failed conversion leaves nothing behind
// and the destination as it was.
class OutputFile {
public:
  // Creates the temporary (`path`.partial-PID-N, exclusively, with the
  // permissions a new file gets); one line naming `path` on failure.
  static absl::StatusOr<OutputFile> Create(const std::string &path);
  OutputFile(OutputFile &&other) noexcept;
  OutputFile &operator=(OutputFile &&other) = delete;
  OutputFile(const OutputFile &) = delete;
  ~OutputFile();

  const std::string &path() const { return path_; }
  const std::string &temp_path() const { return temp_; }

  // Makes the written temporary the destination (fsync, then rename).
  absl::Status Commit();

private:
  OutputFile(std::string path, std::string temp)
      : path_(std::move(path)), temp_(std::move(temp)) {}
  std::string path_, temp_;
  bool done_ = false;
};

} // namespace gemma

#endif // RUNTIME_FORMATS_OUTPUTFILE_H

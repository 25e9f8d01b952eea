//===- TokenizerFiles.h - Tokenizers from any file that holds one -*- C++
//-*-===//
//
// `gemma-sbs import-tokenizer | encode | decode` read a tokenizer from a
// SentencePiece `.model`, a Hugging Face `tokenizer.json`, or the tokenizer
// embedded in a `.sbs` or GGUF weight file.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_SBS_TOKENIZERFILES_H
#define TOOLS_GEMMA_SBS_TOKENIZERFILES_H

#include "absl/status/statusor.h"

#include <string>

namespace gemma {

// The serialized SentencePiece ModelProto that `path` holds or converts to;
// one line naming the path on failure.
absl::StatusOr<std::string> LoadTokenizerProto(const std::string &path);

// `gemma-sbs encode`: the ids of `text`, or with `jsonl` of every JSON string
// line of stdin (one JSON array per line out). With a `chat` format (gemma,
// gemma4, none) each input is a JSON array of {"role", "content"} messages,
// wrapped as a conversation.
int EncodeCommand(const std::string &path, const std::string &text, bool jsonl,
                  const std::string &chat);
// `gemma-sbs decode`: the text of `ids`, or with `jsonl` of every JSON array
// line of stdin (one JSON string per line out).
int DecodeCommand(const std::string &path, const std::string &ids, bool jsonl);

} // namespace gemma

#endif // TOOLS_GEMMA_SBS_TOKENIZERFILES_H

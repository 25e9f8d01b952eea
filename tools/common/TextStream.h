//===- TextStream.h - Generated ids as text that can be streamed -*- C++
//-*-===//
//
// What gemma-exec prints and gemma-serve sends while a reply is generated:
// pieces join across ids (the bytes of one character, a space that belongs
// to the next word), so only text no later id can change is handed out.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_COMMON_TEXTSTREAM_H
#define TOOLS_COMMON_TEXTSTREAM_H

#include "runtime/tokenizer/SentencePieceTokenizer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gemma {

// Text as it streams out of generated ids: only text that can no longer
// change (not a partial UTF-8 character, nor what may be the start of a
// stop string) is handed out; a stop string ends it, itself not included.
class TextStream {
public:
  explicit TextStream(const SentencePieceTokenizer &tokenizer,
                      std::vector<std::string> stop = {});
  // The text `id` makes final.
  std::string Add(int32_t id);
  // What was held back, at the end.
  std::string Finish();
  bool stopped() const { return stopped_; }

private:
  // Decodes the ids not yet in text_ when they end a character (or
  // `final`); whether text_ grew.
  bool Settle(bool final);
  // The text now safe to hand out (all of it when `final`), up to a stop
  // string.
  std::string Release(bool final);

  const SentencePieceTokenizer &tokenizer_;
  std::vector<std::string> stop_;
  size_t longest_stop_ = 0;
  std::vector<int> ids_;
  // ids_[settled_, read_) decoded last time to text already in text_ (the
  // window the next id is decoded with), ids_[read_, end) not yet.
  size_t settled_ = 0, read_ = 0;
  std::string text_; // all decoded so far
  size_t sent_ = 0;  // bytes of text_ handed out
  bool stopped_ = false;
};

// Writes a streamed chunk to stdout at once (nothing for an empty one).
void PrintNow(const std::string &text);

} // namespace gemma

#endif // TOOLS_COMMON_TEXTSTREAM_H

//===- TextStream.cpp - Generated ids as text that can be streamed --------===//

#include "tools/common/TextStream.h"

#include <algorithm>
#include <cstdio>

namespace gemma {

TextStream::TextStream(const SentencePieceTokenizer &tokenizer,
                       std::vector<std::string> stop)
    : tokenizer_(tokenizer), stop_(std::move(stop)) {
  for (const std::string &s : stop_)
    longest_stop_ = std::max(longest_stop_, s.size());
}

namespace {

// Where a UTF-8 character that `text` ends inside of begins (text.size()
// when it ends on a boundary), and before a trailing U+FFFD (a byte
// sequence the next id may complete).
size_t CompleteUtf8(const std::string &text) {
  size_t end = text.size();
  if (end >= 3 && text.compare(end - 3, 3, "\xEF\xBF\xBD") == 0)
    return end - 3;
  for (size_t back = 1; back <= 3 && back <= end; ++back) {
    const unsigned char c = static_cast<unsigned char>(text[end - back]);
    if ((c & 0xC0) == 0x80)
      continue; // a continuation byte: look further back
    const size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back ? end - back : end;
  }
  return end;
}

} // namespace

bool TextStream::Settle(bool final) {
  // Only the ids since the last settled one are decoded (as Hugging Face's
  // streamers do), so a reply costs linear time: the text of ids
  // [settled, end) past that of [settled, read) is what the new ids add.
  // Both decodings start at the same id, so whatever the tokenizer does at
  // a text's start (a dropped leading space) cancels. Until the new ids
  // add text that ends a UTF-8 character, they wait (SentencePiece decodes
  // an unfinished run of byte pieces to nothing; a decoder that spells it
  // U+FFFD waits too), unless this is the end.
  const std::vector<int> window(ids_.begin() + std::ptrdiff_t(settled_),
                                ids_.end());
  const std::string now = tokenizer_.Decode(window);
  const std::string before = tokenizer_.Decode(
      {window.begin(), window.begin() + std::ptrdiff_t(read_ - settled_)});
  if (now.size() <= before.size() ||
      now.compare(0, before.size(), before) != 0 ||
      (!final && CompleteUtf8(now) != now.size()))
    return false;
  text_ += now.substr(before.size());
  settled_ = read_;
  read_ = ids_.size();
  return true;
}

std::string TextStream::Release(bool final) {
  // The earliest stop string (none starts in what was handed out: the
  // bytes that could begin one are held back).
  size_t first = std::string::npos;
  for (const std::string &s : stop_)
    first = std::min(first, text_.find(s, sent_));
  if (first != std::string::npos) {
    std::string out = text_.substr(sent_, first - sent_);
    sent_ = first;
    stopped_ = true;
    return out;
  }
  size_t ready = text_.size();
  if (!final) {
    ready = CompleteUtf8(text_);
    if (longest_stop_ > 1)
      ready = std::min(ready, text_.size() -
                                  std::min(text_.size(), longest_stop_ - 1));
  }
  if (ready <= sent_)
    return {};
  std::string out = text_.substr(sent_, ready - sent_);
  sent_ = ready;
  return out;
}

std::string TextStream::Add(int32_t id) {
  if (stopped_)
    return {};
  ids_.push_back(id);
  if (!Settle(/*final=*/false))
    return {};
  return Release(/*final=*/false);
}

std::string TextStream::Finish() {
  if (stopped_)
    return {};
  if (read_ < ids_.size())
    Settle(/*final=*/true);
  return Release(/*final=*/true);
}

void PrintNow(const std::string &text) {
  if (text.empty())
    return;
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

} // namespace gemma

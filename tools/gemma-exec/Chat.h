//===- Chat.h - gemma-exec --chat -------------------------------*- C++ -*-===//
//
// An interactive conversation: one user turn per line of stdin, the reply
// streamed as it is generated, the KV cache kept across turns (a turn
// prefills only its own tokens). Commands: /reset, /stats, /exit. Ctrl-C
// stops the current reply; Ctrl-D (end of input) ends the chat. Works with
// piped input (no prompt is shown then). When the context is full, says so
// and starts a new conversation.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_GEMMA_EXEC_CHAT_H
#define TOOLS_GEMMA_EXEC_CHAT_H

#include "runtime/exec/Conversation.h"
#include "runtime/formats/ModelSpec.h"
#include "runtime/tokenizer/SentencePieceTokenizer.h"

#include <string>

namespace gemma {

struct ChatOptions {
  std::string system;
  ChatFormat format = ChatFormat::kGemma;
  SamplingOptions sampling;
  ReplyOptions reply;
  bool verbose = false;
};

// Returns the exit code.
int RunChat(PlanSession &session, const SentencePieceTokenizer &tokenizer,
            const ChatOptions &options);

} // namespace gemma

#endif // TOOLS_GEMMA_EXEC_CHAT_H

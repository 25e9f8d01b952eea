//===- Chat.cpp - gemma-exec --chat ---------------------------------------===//

#include "tools/gemma-exec/Chat.h"

#include "tools/common/Progress.h"
#include "tools/common/TextStream.h"
#include "tools/common/Utf8.h"

#include "runtime/tokenizer/ChatTemplate.h"

#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <unistd.h>

namespace gemma {
namespace {

std::atomic<bool> replying{false}; // reading a message or replying to it
std::atomic<bool> stop_reply{false};
bool prompt_shown = false;

// Ctrl-C: stops the reading of a message or a reply; at the prompt, says
// how to leave. Only async-signal-safe calls here.
void OnInterrupt(int) {
  if (replying.load()) {
    stop_reply.store(true);
    return;
  }
  if (prompt_shown) {
    constexpr char kHint[] = "\n(/exit or Ctrl-D quits)\n> ";
    ssize_t ignored = write(STDOUT_FILENO, kHint, sizeof(kHint) - 1);
    (void)ignored;
  }
}

std::string Trim(const std::string &line) {
  const size_t begin = line.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos)
    return {};
  return line.substr(begin, line.find_last_not_of(" \t\r\n") - begin + 1);
}

// One message from stdin, false at its end. A line ending in a backslash
// goes on on the next (the backslash becomes a line break); a line that is
// """ opens a block of lines, taken as they are, up to the next """ line:
// text longer than the terminal lets one line be (4 KB), or pasted with
// its line breaks, comes in either way.
bool ReadMessage(std::string &message) {
  std::string line;
  auto next = [&] {
    if (!std::getline(std::cin, line))
      return false;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    return true;
  };
  if (!next())
    return false;
  if (Trim(line) == "\"\"\"") {
    message.clear();
    for (bool first = true; next(); first = false) {
      if (Trim(line) == "\"\"\"")
        return true;
      if (!first)
        message += '\n';
      message += line;
    }
    return true; // the input ended inside the block: what it holds
  }
  message = line;
  while (!message.empty() && message.back() == '\\') {
    message.back() = '\n';
    if (!next())
      break;
    message += line;
  }
  return true;
}

struct TurnRecord {
  AppendStats append;
  ReplyStats reply;
  bool valid = false;
};

void Note(const std::string &text) {
  std::fprintf(stdout, "[%s]\n", text.c_str());
  std::fflush(stdout);
}

} // namespace

namespace {

// What one chat session keeps between its messages.
struct ChatState {
  Conversation &conversation;
  Sampler &sampler;
  TurnRecord last;
  int turn = 0;
};

enum class Command { kNone, kHandled, kExit };

// The slash commands and the lines that are not sent: kNone for a message.
Command HandleLine(const std::string &text, const plan::PlanMeta &meta,
                   ChatState &state) {
  if (text == "/exit" || text == "/quit")
    return Command::kExit;
  if (text == "/reset") {
    state.conversation.Reset();
    state.turn = 0;
    state.last = {}; // /stats reports no turn of the old conversation
    Note("conversation reset");
    return Command::kHandled;
  }
  if (text == "/stats") {
    const TurnRecord &last = state.last;
    std::string report = fmt::format("context: {} of {} positions used",
                                     state.conversation.cached(), meta.context);
    if (last.valid)
      report += fmt::format(
          "; last turn: prefilled {} tokens in {:.3f} s, replied {} tokens "
          "in {:.3f} s ({:.1f} tok/s)",
          last.append.prefilled, last.append.seconds, last.reply.tokens,
          last.reply.seconds,
          last.reply.seconds > 0 ? last.reply.tokens / last.reply.seconds
                                 : 0.0);
    Note(report);
    return Command::kHandled;
  }
  // As --prompt does: text the tokenizer would change (U+FFFD for each
  // bad byte) is refused, not silently altered.
  if (std::optional<size_t> at = InvalidUtf8At(text)) {
    Note(
        fmt::format("the message is not valid UTF-8 (byte {}): not sent", *at));
    return Command::kHandled;
  }
  if (text[0] == '/' && text.find(' ') == std::string::npos) {
    Note(fmt::format("unknown command '{}' (/reset, /stats, /exit)", text));
    return Command::kHandled;
  }
  return Command::kNone;
}

// One message and its reply; false after an error (printed).
bool RunTurn(const std::string &text, PlanSession &session,
             const SentencePieceTokenizer &tokenizer,
             const ChatOptions &options, ChatState &state) {
  const plan::PlanMeta &meta = session.meta();
  Conversation &conversation = state.conversation;
  auto first_turn = [&] {
    return WrapFirstTurn(tokenizer, options.format, meta.bos_id, text,
                         options.system);
  };
  std::vector<int32_t> ids =
      conversation.used() == 0 ? first_turn()
                               : WrapLaterTurn(tokenizer, options.format, text);
  // Room for the turn and at least one generated token.
  if (!conversation.Fits(ids.size() + 1) && conversation.used() > 0) {
    Note(fmt::format("the context is full ({} of {} positions): starting a "
                     "new conversation",
                     conversation.cached(), meta.context));
    conversation.Reset();
    state.turn = 0;
    ids = first_turn();
  }
  if (!conversation.Fits(ids.size() + 1)) {
    Note(fmt::format("this message is {} tokens: too long for the context "
                     "of {} positions",
                     ids.size(), meta.context));
    return true;
  }
  const size_t reused = conversation.used();
  // A long message shows its prefill's progress after a second, and
  // Ctrl-C stops it as it stops a reply.
  ProgressBar bar;
  const auto prefill_start = std::chrono::steady_clock::now();
  stop_reply.store(false);
  replying.store(true);
  absl::StatusOr<AppendStats> appended =
      conversation.Append(ids, [&](size_t done, size_t total) {
        bar.UpdateCount(done, total, "tokens", prefill_start,
                        std::chrono::seconds(1));
        return !stop_reply.load();
      });
  replying.store(false);
  bar.Finish();
  if (!appended.ok()) {
    std::fprintf(stderr, "gemma-exec: error: %s\n",
                 std::string(appended.status().message()).c_str());
    return false;
  }
  if (appended->interrupted) {
    Note(fmt::format("stopped reading the message: {} of its {} tokens are "
                     "in the conversation (/reset starts over)",
                     appended->prefilled, ids.size()));
    return true;
  }
  const int turn = ++state.turn;
  if (options.verbose)
    std::fprintf(stderr,
                 "gemma-exec: turn %d: %zu new tokens, prefilled %zu at "
                 "positions %d..%zu in %.3f s; %zu positions reused from "
                 "earlier turns\n",
                 turn, ids.size(), appended->prefilled, appended->start,
                 appended->start + appended->prefilled - 1, appended->seconds,
                 reused);

  TextStream stream(tokenizer);
  stop_reply.store(false);
  replying.store(true);
  absl::StatusOr<ReplyStats> reply = conversation.Reply(
      state.sampler, options.reply,
      [&](int32_t id) { PrintNow(stream.Add(id)); }, &stop_reply);
  replying.store(false);
  PrintNow(stream.Finish());
  std::fputs("\n", stdout);
  std::fflush(stdout);
  if (!reply.ok()) {
    std::fprintf(stderr, "gemma-exec: error: %s\n",
                 std::string(reply.status().message()).c_str());
    return false;
  }
  state.last = {*appended, *reply, true};
  if (reply->interrupted)
    Note("stopped");
  if (reply->hit_context)
    Note("the context is full: the next message starts a new "
         "conversation (or /reset)");
  if (options.verbose)
    std::fprintf(stderr,
                 "gemma-exec: turn %d: replied %zu tokens in %.3f s (%.1f "
                 "tok/s)%s\n",
                 turn, reply->tokens, reply->seconds,
                 reply->seconds > 0 ? reply->tokens / reply->seconds : 0.0,
                 reply->stopped_at_eos ? ", ended by the model" : "");
  return true;
}

} // namespace

int RunChat(PlanSession &session, const SentencePieceTokenizer &tokenizer,
            const ChatOptions &options) {
  const plan::PlanMeta &meta = session.meta();
  const bool interactive = isatty(STDIN_FILENO);
  struct sigaction action{};
  action.sa_handler = OnInterrupt;
  action.sa_flags = SA_RESTART; // reading the next line goes on
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  if (interactive)
    std::fprintf(stderr,
                 "gemma-exec: chatting with %s (context %u positions). "
                 "/reset starts over, /stats shows usage, /exit or Ctrl-D "
                 "quits, Ctrl-C stops a reply; a line ending in \\ goes on "
                 "on the next, and \"\"\" opens and closes a block of "
                 "lines.\n",
                 meta.model_name.c_str(), meta.context);

  Conversation conversation(session);
  Sampler sampler(options.sampling);
  ChatState state{conversation, sampler, {}, 0};
  std::string line;
  while (true) {
    if (interactive) {
      std::fputs("> ", stdout);
      std::fflush(stdout);
      prompt_shown = true;
    }
    if (!ReadMessage(line)) {
      if (interactive)
        std::fputs("\n", stdout);
      break;
    }
    prompt_shown = false;
    const std::string text = Trim(line);
    if (text.empty())
      continue;
    const Command command = HandleLine(text, meta, state);
    if (command == Command::kExit)
      break;
    if (command == Command::kHandled)
      continue;
    if (!RunTurn(text, session, tokenizer, options, state))
      return 1;
  }
  return 0;
}

} // namespace gemma

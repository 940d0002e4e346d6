#include "core/tokenizer/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/io/json_util.h"

namespace tl::tok {

namespace {
thread_local const RegexBudget* t_budget = nullptr;

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof(buf));
  return reinterpret_cast<const char*>(buf);
}
}  // namespace

RegexBudget::RegexBudget(std::chrono::steady_clock::time_point deadline, const Progress* progress)
    : deadline_(deadline), progress_(progress), previous_(t_budget) {
  t_budget = this;
}
RegexBudget::~RegexBudget() { t_budget = previous_; }
const RegexBudget* RegexBudget::current() { return t_budget; }

struct Regex::Code {
  pcre2_code* code = nullptr;  // compiled with PCRE2_ANCHORED: one attempt per call
  ~Code() { pcre2_code_free(code); }
};

Result<Regex> Regex::compile(std::string_view pattern, bool literal) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  // PCRE2_LITERAL admits only a few other options; UCP is meaningless for a literal anyway.
  const uint32_t options = PCRE2_UTF | PCRE2_ANCHORED | (literal ? PCRE2_LITERAL : PCRE2_UCP);
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options,
                                   &error_code, &error_offset, nullptr);
  if (!code)
    return make_error("invalid regex '" + printable(pattern) + "' at offset " + std::to_string(error_offset) + ": " +
                      pcre2_message(error_code));
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // optional speed-up; the interpreter is the fallback
  auto owned = std::make_shared<Code>();
  owned->code = code;
  Regex re;
  re.code_ = std::move(owned);
  re.pattern_ = std::string(pattern);
  return re;
}

std::vector<Span> Regex::find_all(std::string_view text) const {
  using clock = std::chrono::steady_clock;
  std::vector<Span> out;
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(
      pcre2_match_data_create_from_pattern(code_->code, nullptr), &pcre2_match_data_free);
  if (!md) throw RegexError("regex '" + printable(pattern_, 80) + "': out of memory");
  const RegexBudget* budget = RegexBudget::current();
  const clock::time_point deadline =
      budget ? budget->deadline()
             : clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(kDefaultRegexSeconds));
  const Progress* progress = budget ? budget->progress() : nullptr;
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  std::size_t pos = 0;
  std::size_t attempts = 0;
  while (pos <= text.size()) {
    // The clock is read every 16 attempts: an attempt is bounded by PCRE2's match limit.
    if ((++attempts & 15) == 0) {
      if (clock::now() > deadline)
        throw RegexError("regex '" + printable(pattern_, 80) + "' takes too long on this text (gave up at byte " +
                         std::to_string(pos) + " of " + std::to_string(text.size()) +
                         "; the pattern backtracks catastrophically)");
      if (progress && progress->cancelled()) throw Cancelled{};
    }
    const int rc = pcre2_match(code_->code, subject, text.size(), pos, PCRE2_NO_UTF_CHECK, md.get(), nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) {
      if (pos >= text.size()) break;
      std::size_t len = 0;
      decode_utf8(text, pos, len);
      pos += len ? len : 1;
      continue;
    }
    if (rc < 0)  // a resource limit (match, depth, heap, JIT stack) on a hostile pattern
      throw RegexError("regex '" + printable(pattern_, 80) + "' failed at byte " + std::to_string(pos) + " of " +
                       std::to_string(text.size()) + ": " + pcre2_message(rc));
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    const std::size_t b = ov[0], e = ov[1];
    if (e > b) {
      out.push_back({b, e});
      pos = e;
    } else {
      // Empty match: skip one character so the search moves on.
      if (b >= text.size()) break;
      std::size_t len = 0;
      decode_utf8(text, b, len);
      pos = b + (len ? len : 1);
    }
  }
  return out;
}

}  // namespace tl::tok

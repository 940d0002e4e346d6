#include "core/tokenizer/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace tl::tok {

struct Regex::Code {
  pcre2_code* code = nullptr;
  ~Code() { pcre2_code_free(code); }
};

Result<Regex> Regex::compile(std::string_view pattern, bool literal) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  // PCRE2_LITERAL admits only a few other options; UCP is meaningless for a literal anyway.
  const uint32_t options = PCRE2_UTF | (literal ? PCRE2_LITERAL : PCRE2_UCP);
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options,
                                   &error_code, &error_offset, nullptr);
  if (!code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(error_code, buf, sizeof(buf));
    return make_error("invalid regex '" + std::string(pattern) + "' at offset " +
                      std::to_string(error_offset) + ": " + reinterpret_cast<const char*>(buf));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // optional speed-up; the interpreter is the fallback
  auto owned = std::make_shared<Code>();
  owned->code = code;
  Regex re;
  re.code_ = std::move(owned);
  re.pattern_ = std::string(pattern);
  return re;
}

std::vector<Span> Regex::find_all(std::string_view text) const {
  std::vector<Span> out;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code_->code, nullptr);
  if (!md) return out;
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  std::size_t start = 0;
  while (start <= text.size()) {
    const int rc = pcre2_match(code_->code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc < 0) break;  // PCRE2_ERROR_NOMATCH, or a resource limit on hostile patterns
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const std::size_t b = ov[0], e = ov[1];
    if (e > b) {
      out.push_back({b, e});
      start = e;
    } else {
      // Empty match: skip one character so the search moves on.
      if (b >= text.size()) break;
      std::size_t len = 0;
      decode_utf8(text, b, len);
      start = b + len;
    }
  }
  pcre2_match_data_free(md);
  return out;
}

}  // namespace tl::tok

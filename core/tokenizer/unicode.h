#pragma once
// Unicode helpers for the tokenizer: UTF-8 coding, character classes with the meanings the
// Hugging Face tokenizers (Rust) library gives them, and the GPT-2 byte <-> character table.
// Character data comes from utf8proc.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tl::tok {

// Decodes the code point starting at s[i]; sets len to its byte length. Invalid or truncated
// sequences decode as U+FFFD with len 1.
char32_t decode_utf8(std::string_view s, std::size_t i, std::size_t& len);
void append_utf8(std::string& out, char32_t cp);
std::size_t utf8_length(char32_t cp);
bool is_valid_utf8(std::string_view s);
// Invalid bytes become U+FFFD, one per maximal invalid subpart (Rust's String::from_utf8_lossy).
std::string utf8_lossy(std::string_view bytes);

// Calls f(code_point, byte_offset, byte_length) for every character of valid UTF-8 text.
template <class F>
void for_each_char(std::string_view s, F&& f) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len = 0;
    const char32_t cp = decode_utf8(s, i, len);
    f(cp, i, len);
    i += len;
  }
}

// Rust char::is_whitespace (the Unicode White_Space property).
bool is_whitespace(char32_t c);
// General category C* (Cc, Cf, Cs, Co, Cn).
bool is_other(char32_t c);
// General category P*.
bool is_punctuation(char32_t c);
// General category Mn.
bool is_mark_nonspacing(char32_t c);
// Rust regex \w: letters, marks, decimal and letter numbers, connector punctuation, joiners.
bool is_word_char(char32_t c);
// BERT's definition of a CJK ideograph (handle_chinese_chars).
bool is_chinese_char(char32_t c);
// Appends the full lowercase mapping of c (Rust char::to_lowercase: may be two characters).
void append_lowercase(std::string& out, char32_t c);
// Appends the canonical (or compatibility) decomposition of c.
void append_decomposition(std::u32string& out, char32_t c, bool compatibility);
int combining_class(char32_t c);
// Extended grapheme cluster boundary between consecutive characters a and b (state as utf8proc).
bool is_grapheme_break(char32_t a, char32_t b, std::int32_t& state);
// Normalizes a UTF-8 string with utf8proc: compose (NFC/NFKC) or decompose (NFD/NFKD).
std::string utf8proc_normalize(std::string_view s, bool compose, bool compatibility);

// GPT-2 byte-level alphabet: every byte maps to a printable character ("Ġ" for ' ').
char32_t byte_to_char(unsigned char b);
// Inverse of byte_to_char; returns -1 for characters outside the alphabet.
int char_to_byte(char32_t c);

}  // namespace tl::tok

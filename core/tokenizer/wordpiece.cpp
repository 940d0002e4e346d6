// WordPiece, as BERT does it: greedy longest-match-first over the word, non-initial pieces carry the
// continuing-subword prefix ("##"); a word with any unmatchable part, or longer than
// max_input_chars_per_word characters, becomes one unknown token.
#include "core/tokenizer/models.h"
#include "core/tokenizer/unicode.h"

namespace tl::tok {

namespace {

class WordPieceModel final : public Model {
 public:
  WordPieceModel(Vocab vocab, int unk_id, std::string prefix, std::size_t max_chars)
      : prefix_(std::move(prefix)), max_chars_(max_chars) {
    vocab_ = std::move(vocab);
    unk_id_ = unk_id;
  }

  void tokenize(std::string_view word, std::vector<ModelToken>& out) const override {
    std::size_t chars = 0;
    for (unsigned char c : word) chars += (c & 0xC0) != 0x80;
    if (chars > max_chars_) {
      out.push_back({*unk_id_, 0, word.size()});
      return;
    }
    const std::size_t first = out.size();
    std::string candidate;
    for (std::size_t start = 0; start < word.size();) {
      std::size_t end = word.size();
      std::optional<int> found;
      while (start < end) {
        candidate.assign(start > 0 ? prefix_ : "");
        candidate.append(word.substr(start, end - start));
        found = vocab_.find(candidate);
        if (found) break;
        // Drop the last character of the candidate.
        do --end;
        while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
      }
      if (!found) {
        out.resize(first);
        out.push_back({*unk_id_, 0, word.size()});
        return;
      }
      out.push_back({*found, start, end});
      start = end;
    }
  }

 private:
  std::string prefix_;
  std::size_t max_chars_;
};

}  // namespace

Result<std::unique_ptr<Model>> make_wordpiece(Vocab vocab, const std::string& unk_token, std::string prefix,
                                              std::size_t max_input_chars_per_word, const std::string& path) {
  const std::optional<int> unk_id = vocab.find(unk_token);
  if (!unk_id)
    return field_error(field_path(path, "unk_token"), "'" + unk_token + "' is not in the vocabulary");
  return std::unique_ptr<Model>(std::make_unique<WordPieceModel>(std::move(vocab), *unk_id, std::move(prefix),
                                                                 max_input_chars_per_word));
}

}  // namespace tl::tok

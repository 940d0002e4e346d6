// Byte-pair encoding, as Hugging Face tokenizers' BPE model does it: a word starts as one symbol per
// character (or per byte with byte_fallback, or an unknown-token symbol), then the adjacent pair
// with the lowest merge rank is merged, leftmost first, until no pair has a rank.
#include <array>
#include <cstdio>
#include <mutex>
#include <queue>

#include "core/tokenizer/models.h"
#include "core/tokenizer/unicode.h"

namespace tl::tok {

namespace {

struct MergeTarget {
  int rank = 0;
  int new_id = 0;
};

std::uint64_t pair_key(int a, int b) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
}

class BpeModel final : public Model {
 public:
  BpeModel(Vocab vocab, BpeOptions options) : options_(std::move(options)) {
    vocab_ = std::move(vocab);
    if (options_.unk_token) unk_id_ = vocab_.find(*options_.unk_token);
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof(name), "<0x%02X>", b);
      byte_ids_[static_cast<std::size_t>(b)] = vocab_.find(name).value_or(-1);
    }
  }

  Status add_merges(const MergeList& merges, const std::string& path) {
    const std::size_t prefix_len = options_.continuing_subword_prefix.size();
    merges_.reserve(merges.size());
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
      const auto& [a, b] = merges[rank];
      const auto missing = [&](const std::string& t) {
        return field_error(index_path(path, rank), "token '" + t + "' is not in the vocabulary");
      };
      const std::optional<int> a_id = vocab_.find(a), b_id = vocab_.find(b);
      if (!a_id) return missing(a);
      if (!b_id) return missing(b);
      // The right part drops its continuing-subword prefix in the merged piece.
      const std::string merged =
          a + (b.compare(0, prefix_len, options_.continuing_subword_prefix) == 0 ? b.substr(prefix_len) : b);
      const std::optional<int> new_id = vocab_.find(merged);
      if (!new_id) return missing(merged);
      // A repeated pair keeps its last rank, as a map built in file order does in the reference.
      merges_[pair_key(*a_id, *b_id)] = {static_cast<int>(rank), *new_id};
    }
    return {};
  }

  void tokenize(std::string_view word, std::vector<ModelToken>& out) const override {
    if (word.empty()) return;
    if (options_.ignore_merges) {
      if (const auto id = vocab_.find(word)) {
        out.push_back({*id, 0, word.size()});
        return;
      }
    }
    const bool cacheable = word.size() < kMaxCachedWordBytes;
    if (cacheable) {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      if (const auto it = cache_.find(word); it != cache_.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
        return;
      }
    }
    const std::size_t first = out.size();
    merge_word(word, out);
    if (cacheable) {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      if (cache_.size() < kCacheCapacity)
        cache_.emplace(std::string(word),
                       std::vector<ModelToken>(out.begin() + static_cast<std::ptrdiff_t>(first), out.end()));
    }
  }

 private:
  static constexpr std::size_t kMaxCachedWordBytes = 256;
  static constexpr std::size_t kCacheCapacity = 10000;

  struct Symbol {
    int id;
    int prev;
    int next;
    std::size_t begin, end;
    bool removed = false;
  };

  // Initial symbols of a word: its characters as vocabulary pieces.
  void initial_symbols(std::string_view word, std::vector<Symbol>& symbols) const {
    std::optional<Symbol> unk;  // pending unknown run (fused when fuse_unk)
    const auto push = [&](int id, std::size_t begin, std::size_t end) {
      const int index = static_cast<int>(symbols.size());
      symbols.push_back({id, index - 1, index + 1, begin, end});
    };
    const auto flush_unk = [&] {
      if (unk) push(unk->id, unk->begin, unk->end);
      unk.reset();
    };
    std::string piece;
    for_each_char(word, [&](char32_t, std::size_t i, std::size_t len) {
      const std::string_view ch = word.substr(i, len);
      std::optional<int> id;
      const bool first = i == 0, last = i + len == word.size();
      if ((first || options_.continuing_subword_prefix.empty()) &&
          (!last || options_.end_of_word_suffix.empty())) {
        id = vocab_.find(ch);
      } else {
        piece.assign(first ? "" : options_.continuing_subword_prefix);
        piece.append(ch);
        if (last) piece.append(options_.end_of_word_suffix);
        id = vocab_.find(piece);
      }
      if (id) {
        flush_unk();
        push(*id, i, i + len);
        return;
      }
      if (options_.byte_fallback) {
        bool all_bytes = true;
        for (unsigned char b : ch) all_bytes = all_bytes && byte_ids_[b] >= 0;
        if (all_bytes) {
          flush_unk();
          for (std::size_t k = 0; k < len; ++k)
            push(byte_ids_[static_cast<unsigned char>(ch[k])], i + k, i + k + 1);
          return;
        }
      }
      if (!unk_id_) return;  // no unknown token: the character is dropped, as in the reference
      if (unk && options_.fuse_unk) {
        unk->end = i + len;
        return;
      }
      flush_unk();
      unk = Symbol{*unk_id_, 0, 0, i, i + len};
    });
    flush_unk();
    if (!symbols.empty()) symbols.back().next = -1;
  }

  void merge_word(std::string_view word, std::vector<ModelToken>& out) const {
    std::vector<Symbol> symbols;
    symbols.reserve(word.size());
    initial_symbols(word, symbols);

    struct Candidate {
      int rank;
      int pos;
      int new_id;
      bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
    const auto find_merge = [&](int left, int right) -> const MergeTarget* {
      const auto it = merges_.find(
          pair_key(symbols[static_cast<std::size_t>(left)].id, symbols[static_cast<std::size_t>(right)].id));
      return it == merges_.end() ? nullptr : &it->second;
    };
    for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i)
      if (const MergeTarget* m = find_merge(i, i + 1)) queue.push({m->rank, i, m->new_id});

    while (!queue.empty()) {
      const Candidate top = queue.top();
      queue.pop();
      Symbol& left = symbols[static_cast<std::size_t>(top.pos)];
      if (left.removed || left.next < 0) continue;
      // Skip stale entries: the pair at this position changed since it was queued.
      const MergeTarget* current = find_merge(top.pos, left.next);
      if (!current || current->new_id != top.new_id) continue;
      Symbol& right = symbols[static_cast<std::size_t>(left.next)];
      left.id = top.new_id;
      left.end = right.end;
      right.removed = true;
      left.next = right.next;
      if (left.next >= 0) symbols[static_cast<std::size_t>(left.next)].prev = top.pos;
      if (left.prev >= 0)
        if (const MergeTarget* m = find_merge(left.prev, top.pos))
          queue.push({m->rank, left.prev, m->new_id});
      if (left.next >= 0)
        if (const MergeTarget* m = find_merge(top.pos, left.next)) queue.push({m->rank, top.pos, m->new_id});
    }
    for (const Symbol& s : symbols)
      if (!s.removed) out.push_back({s.id, s.begin, s.end});
  }

  BpeOptions options_;
  std::unordered_map<std::uint64_t, MergeTarget> merges_;
  std::array<int, 256> byte_ids_{};
  mutable std::mutex cache_mutex_;
  mutable StringMap<std::vector<ModelToken>> cache_;
};

}  // namespace

Result<std::unique_ptr<Model>> make_bpe(Vocab vocab, const MergeList& merges, BpeOptions options,
                                        const std::string& path) {
  auto model = std::make_unique<BpeModel>(std::move(vocab), std::move(options));
  if (Status s = model->add_merges(merges, path); !s) return s.error();
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace tl::tok

#include "core/eval/examples.h"

#include <fstream>
#include <sstream>

namespace tl::eval {

namespace {

constexpr std::string_view kMaskMarker = "[MASK]";

std::string replace_all(std::string s, std::string_view from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

}  // namespace

Result<std::vector<std::string>> read_sentence_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return make_error(path.string() + ": cannot open the sentence file");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(file, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos || line[0] == '#') continue;
    lines.push_back(line);
  }
  if (lines.empty()) return make_error(path.string() + ": no sentences (one per line; '#' starts a comment)");
  return lines;
}

Result<std::vector<EvalExample>> make_examples(const std::vector<std::string>& lines, const Model& model,
                                               const Tokenizer& tokenizer) {
  const ModelSpec& spec = model.spec;
  if (!spec.causal && !spec.mlm_head) {
    return make_error("evaluation: " + model.name + " has neither a causal LM head nor a masked-LM head (classification heads are not loaded)");
  }
  std::vector<EvalExample> out;
  for (size_t k = 0; k < lines.size(); ++k) {
    const std::string where = "sentence " + std::to_string(k + 1);
    EvalExample ex;
    ex.text = lines[k];
    std::string text = lines[k];
    if (!spec.causal) {
      if (text.find(kMaskMarker) == std::string::npos) return make_error(where + ": a masked LM needs a [MASK] marker in the line");
      const int mask = tokenizer.mask_id();
      if (mask < 0) return make_error(where + ": the tokenizer has no mask token");
      text = replace_all(text, kMaskMarker, tokenizer.id_to_token(mask));
    }
    const Encoding enc = tokenizer.encode(text);
    if (enc.ids.size() < 2) return make_error(where + ": fewer than two tokens");
    if (spec.max_positions > 0 && int(enc.ids.size()) > spec.max_positions) {
      return make_error(where + ": " + std::to_string(enc.ids.size()) + " tokens, more than the model's " +
                        std::to_string(spec.max_positions) + " positions");
    }
    ex.input.ids = enc.ids;
    if (spec.type_vocab_size > 1) ex.input.token_types = enc.type_ids;
    ex.removable.assign(enc.ids.size(), true);
    for (size_t i = 0; i < enc.ids.size(); ++i) ex.removable[i] = !enc.special[i];
    if (spec.causal) {
      ex.position = int(enc.ids.size()) - 1;
    } else {
      for (size_t i = 0; i < enc.ids.size() && ex.position < 0; ++i)
        if (enc.ids[i] == tokenizer.mask_id()) ex.position = int(i);
      if (ex.position < 0) return make_error(where + ": the [MASK] marker did not become a mask token");
      ex.removable[size_t(ex.position)] = false;
    }
    out.push_back(std::move(ex));
  }
  return out;
}

EvalExample example_from_ids(const Model& model, std::vector<int> ids, int position) {
  EvalExample ex;
  const int n = int(ids.size());
  ex.position = position >= 0 ? position : n - 1;
  ex.removable.assign(size_t(n), true);
  if (model.spec.causal) {
    if (n > 0 && ids[0] == model.spec.bos_token_id) ex.removable[0] = false;
  } else if (ex.position >= 0 && ex.position < n) {
    ex.removable[size_t(ex.position)] = false;
  }
  ex.input.ids = std::move(ids);
  return ex;
}

}  // namespace tl::eval

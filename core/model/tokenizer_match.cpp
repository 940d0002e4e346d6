#include "core/model/tokenizer_match.h"

#include <filesystem>

namespace tl {

Status check_tokenizer_matches(const Model& model, const Tokenizer& tokenizer) {
  const int ids = tokenizer.vocab_size();
  const int vocab = model.spec.vocab_size;
  if (ids <= vocab) return {};
  const bool embedded = model.source.rfind("embedded:", 0) == 0;
  const std::string config = embedded ? model.source + " config.json"
                                      : (std::filesystem::path(model.source) / "config.json").string();
  const std::string tok = tokenizer.source().empty() ? std::string("the tokenizer") : tokenizer.source();
  return make_error(tok + " and " + config + " disagree: the tokenizer has " + std::to_string(ids) + " ids (0.." +
                    std::to_string(ids - 1) + "), but vocab_size in config.json is " + std::to_string(vocab) +
                    " (are they from different models?)");
}

}  // namespace tl

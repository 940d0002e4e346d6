#pragma once
// What the app computes from a model and a sentence, kept free of widgets so tests can call it
// directly: the model session (model + tokenizer), one analysis of a text (encoding, forward
// trace, token labels, top-k predictions), and the Maps shown by the heatmap view.
//
// Until the TensorLens engine lands, the only Map here is the head-mean attention of one block,
// straight from Trace::blocks[l].attn_probs, and it is labelled as exactly that.
#include <QString>
#include <memory>
#include <string>
#include <vector>

#include "core/forward/trace.h"
#include "core/lens/map.h"
#include "core/model/model.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/result.h"
#include "render/heatmap.h"

namespace tl::app {

struct ModelSession {
  std::shared_ptr<const Model> model;
  std::shared_ptr<const Tokenizer> tokenizer;

  QString displayName() const;  // "stories260K (embedded)" or the folder name
};

// The embedded default model and its tokenizer.
Result<ModelSession> load_embedded_session();
// A model folder: config.json + safetensors + a tokenizer (tokenizer.json, vocab.json + merges.txt
// or vocab.txt) in the same folder.
Result<ModelSession> load_session(const std::string& folder);

struct Prediction {
  int id = -1;
  std::string token;  // display text
  double probability = 0.0;
};

struct Analysis {
  QString text;
  Encoding encoding;
  std::shared_ptr<const Trace> trace;
  std::vector<std::string> labels;  // display text per token (map axes)
  // Causal LMs: the next token after the last position. Masked LMs: the first mask position (-1
  // and no predictions when the text has no mask token).
  int prediction_row = -1;
  std::vector<Prediction> predictions;
};

// Runs the forward pass for an already tokenized text. Errors: from forward() (too long, ...).
Result<Analysis> analyse(const ModelSession& session, const QString& text, const Encoding& encoding, int top_k = 10);

// Top-k of softmax(logits.row(row)), most probable first. Softmax in double with the max subtracted.
std::vector<Prediction> top_predictions(const MatD& logits, int row, int k, const Tokenizer& tokenizer);

// Mean over heads of the attention probabilities of block `block` (1-based), rows are queries.
Map head_mean_attention(const ModelSession& session, const Analysis& analysis, int block);
inline constexpr const char* kHeadMeanAttention = "attention (head mean)";

render::SpecialTokens special_tokens(const Encoding& encoding);

}  // namespace tl::app

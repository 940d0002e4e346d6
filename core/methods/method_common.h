#pragma once
// Shared plumbing of the method implementations: the call bundle, labels, Map construction,
// the explained prediction, the neutral token, and small matrix helpers (rollout).
#include <functional>
#include <string>
#include <vector>

#include "core/methods/method.h"
#include "core/util/progress.h"
#include "core/util/result.h"

namespace tl {

struct MethodInfo;

namespace methods {

// One call of a method: what it reads, what was asked, and where to report progress.
struct MethodCall {
  const MethodInputs& in;
  const MethodRequest& req;
  const MethodInfo& info;
  Progress* progress = nullptr;

  const Model& model() const { return *in.model; }
  const ModelSpec& spec() const { return in.model->spec; }
  const Trace& trace() const { return *in.trace; }
  int n() const { return in.trace->num_tokens(); }
  int layers() const { return in.trace->num_layers(); }

  // Reports fraction done; throws Cancelled when the progress was cancelled.
  void step(double fraction, const std::string& what) const;
  // Option `key` with a default (wrong JSON types fall back to the default).
  int option_int(const char* key, int fallback) const;
  double option_double(const char* key, double fallback) const;
  std::string option_string(const char* key, const std::string& fallback) const;
  bool option_bool(const char* key, bool fallback) const;
};

// The model's double weights for derivatives: the shared ones from the inputs, else new ones.
std::shared_ptr<const autodiff::DoubleWeights> derivative_weights(const MethodCall& call);

// The ForwardInput that produced the trace (rebuilt from the trace when not given).
ForwardInput forward_input(const MethodInputs& in);

// Display labels of the trace's tokens ("#id" without a tokenizer).
std::vector<std::string> token_labels(const MethodInputs& in);

// A Map with token labels on both axes and provenance filled from the call.
Map make_map(const MethodCall& call, Eigen::MatrixXd values, const std::string& layers, bool is_signed);
// Labels for a one-row map explaining `position`.
Map make_row_map(const MethodCall& call, Eigen::MatrixXd values, const std::vector<int>& rows, bool is_signed);

// "block 3", "blocks 1..3", "end to end", with ", head h" when head >= 0.
std::string layers_label(Scope scope, int layer, int num_layers, int head = -1);

// The explained prediction: position (last token for decoders, first mask token for encoders,
// unless requested) and token (argmax of the logits there, unless requested). Errors name what is
// missing (an encoder input without a mask token, a position or token out of range).
struct Explained {
  int position = -1;
  int token = -1;
};
Result<Explained> resolve_explained(const MethodCall& call);
// The target token explained at `position` when all rows are asked for: the requested token, or
// that position's argmax.
int target_at(const MethodCall& call, int position);

// Replacement token for occlusion and perturbation ("neutral"): the option `replacement_token` if
// given; encoders: the mask token; decoders: the pad token, else unk, else eos, else bos, else 0.
int neutral_token(const Model& model, const Tokenizer* tokenizer);

// Rows of the layers a per-layer method visits: {layer} or 1..L when layer == 0.
std::vector<int> requested_layers(const MethodCall& call);
Status check_layer(const MethodCall& call, bool allow_all);

// Head in -1..H-1 (-1: every head, or all heads together, as the method says).
Status check_head(const MethodCall& call);
// Per-layer-only methods: one layer, or every layer when layer is 0 or the scope is end to end.
std::vector<int> per_layer_list(const MethodCall& call);
// Methods built from one matrix per layer and a composition of layers 1..l: Layer(l) gives layer
// l's matrix, UpTo(l) the composition of layers 1..l, EndToEnd that of all layers; layer 0 with
// Layer or UpTo gives one Map per layer.
Result<MethodOutput> layered(const MethodCall& call, const std::function<Eigen::MatrixXd(int)>& layer_matrix,
                             const std::function<Eigen::MatrixXd(const std::vector<Eigen::MatrixXd>&)>& compose);

// Head mean of block `layer`'s attention (1..L).
Eigen::MatrixXd mean_attention(const Trace& trace, int layer);
// (A + I) / rowsum: the residual-augmented attention of rollout (Abnar & Zuidema 2020).
Eigen::MatrixXd residual_augmented(const Eigen::MatrixXd& attention);
// Rows divided by their sums (rows summing to zero stay zero).
Eigen::MatrixXd row_normalised(const Eigen::MatrixXd& m);

}  // namespace methods
}  // namespace tl

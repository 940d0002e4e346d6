#pragma once
// The request/response types every explanation method shares (registry.h dispatches on them).
//
// A method reads one operating point (Model + Trace, and the ForwardInput that produced it when it
// re-runs the forward pass) and answers a MethodRequest with Maps: rows are output (query) tokens i,
// columns input (source) tokens j. Methods that explain one prediction (gradients, occlusion)
// give one row for the explained position unless asked for every row.
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/forward/forward.h"
#include "core/lens/map.h"
#include "core/lens/scope.h"
#include "core/model/model.h"

namespace tl {

class Backend;
class Tokenizer;
namespace autodiff {
class DoubleWeights;
}


struct MethodRequest {
  Scope scope = Scope::EndToEnd;
  // 1..L for Layer / UpTo. 0 with a per-layer method means "every layer" (one Map each).
  int layer = 0;
  // Per-head methods: 0..H-1, or -1 for every head (one Map each; `attention-mean` is the mean).
  int head = -1;
  // The explained prediction: position -1 = the last token (decoders) or the first mask token
  // (encoders); target_token -1 = the model's argmax at that position.
  int position = -1;
  int target_token = -1;
  // `jacobian`: the D x D block of this (output i, input j) pair instead of the norm map.
  std::optional<std::pair<int, int>> pair;
  // Method-specific options (names and defaults in the registry's `options` help line).
  nlohmann::json options = nlohmann::json::object();
};

// What a method reads. `model` and `trace` must outlive the call.
struct MethodInputs {
  const Model* model = nullptr;
  const Trace* trace = nullptr;
  // The input that produced `trace` (attention mask, token types). Empty ids: rebuilt from the
  // trace (ids, token types, no padding).
  ForwardInput input;
  // Token labels and special ids (mask, pad); optional (labels fall back to "#id").
  const Tokenizer* tokenizer = nullptr;
  std::string text;  // for provenance only
  // Where the TensorLens engine computes (GPU or CPU); nullptr = a CPU backend made for the call.
  Backend* backend = nullptr;
  // The model's weights in double for gradient methods, shared between calls (converting GPT-2
  // small's takes about a second); nullptr = converted for the call.
  std::shared_ptr<const autodiff::DoubleWeights> derivative_weights;
};

// Logit lens: the residual stream after every block read through the final norm and the
// unembedding (masked LMs: the MLM head). Rows are stages 0..L (0 = embeddings), columns positions.
struct LogitLens {
  int top_k = 0;
  std::vector<int> predicted;  // per position: the model's final argmax (or the requested target)
  Eigen::MatrixXd probability; // [L+1, N] probability of `predicted[i]` at each stage
  Eigen::MatrixXi rank;        // [L+1, N] its rank (0 = top)
  // top[stage][position]: the top_k (token, probability) pairs, best first.
  std::vector<std::vector<std::vector<std::pair<int, double>>>> top;
};

// Token identifiability (Brunner et al. 2020): does the hidden state at position i, stage l, have
// its own input embedding as nearest neighbour among the sentence's input embeddings?
struct Identifiability {
  std::vector<double> share_cosine;  // [L+1] fraction of positions identified, cosine similarity
  std::vector<double> share_l2;      // [L+1] same with Euclidean distance
  std::vector<std::vector<int>> nearest_cosine, nearest_l2;  // [L+1][N] nearest input position
};

struct MethodOutput {
  std::vector<Map> maps;            // one, or one per layer / head (their provenance says which)
  std::optional<Eigen::MatrixXd> block;  // `jacobian` with a pair: D x D, rows output features d
  std::optional<LogitLens> logit_lens;
  std::optional<Identifiability> identifiability;
  int explained_position = -1;      // methods explaining one prediction: which one
  int explained_token = -1;
};

}  // namespace tl

#pragma once
// engine::Session: the one computing API that the GUI, the CLI (and the Python module) use.
// A Session is a model, its tokenizer and the Device it computes on; it is immutable once made
// (with_device() gives a new Session on another device, sharing the model), so jobs on any thread
// may hold it. Every analysis goes through it:
//
//   auto session = engine::Session::open_folder("gpt2/");            // or open_embedded()
//   auto analysis = (*session)->analyse("Once upon a time");          // budgets, tokens, forward pass
//   auto map = (*session)->compute_map(*analysis, {.method = "tensorlens-in"});
//   auto series = (*session)->series(*analysis, "rollout", Scope::Block);   // every block, one loop
//
// The input, memory and time budgets (core/forward/input_limits.h) are applied here, so the CLI
// and the GUI refuse the same inputs with the same messages. Errors are values; cancellation
// through Progress throws tl::Cancelled (caught at the job boundary).
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine/device.h"
#include "core/eval/identifiability.h"
#include "core/eval/perturbation.h"
#include "core/eval/relations.h"
#include "core/forward/input_limits.h"
#include "core/forward/trace.h"
#include "core/methods/layer_series.h"
#include "core/methods/registry.h"
#include "core/model/model.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/progress.h"
#include "core/util/result.h"

namespace tl::engine {

struct Prediction {
  int id = -1;
  std::string token;  // display text
  double probability = 0.0;
};

// One analysed input: what the forward pass saw and produced. Qt-free, shared read-only.
struct Analysis {
  std::string text;  // UTF-8 as analysed ("" for ids given directly); provenance and word groups
  Encoding encoding;   // tokens, byte spans, special flags (synthesised for ids given directly)
  ForwardInput input;  // what the forward pass ran on (ids, token types)
  std::shared_ptr<const Trace> trace;  // null when the text had no tokens
  std::vector<std::string> labels;     // display text per token (map axes)
  // Causal LMs: the next token after the last position. Masked LMs: the first mask position (-1
  // and no predictions when the text has no mask token).
  int prediction_row = -1;
  std::vector<Prediction> predictions;
};

// What one map is: a registry method, its scope, block and head, target and options. The GUI's
// choice and the CLI's options both become one of these, so both compute the same request.
struct MapChoice {
  std::string method = "tensorlens-in";
  Scope scope = Scope::EndToEnd;
  int block = 1;  // 1-based; ignored end to end
  int head = 0;   // per-head methods only (-1: every head, one map each)
  // The Out direction / explained token (vocabulary id) for methods that read one
  // (MethodInfo::uses_target); -1: each position's prediction (docs/TENSORLENS.md §3 default).
  int target_token = -1;
  nlohmann::json options = nlohmann::json::object();  // method options (registry help line)
};

// The scopes a method offers (Block needs per_layer; Through and EndToEnd need cumulative).
bool scope_supported(const MethodInfo& info, Scope scope);
// `choice` with its method, scope, block, head and target made valid for the method and the model.
MapChoice normalised(MapChoice choice, const ModelSpec& spec);
// The registry request for a choice (head and target only where the method reads them).
MethodRequest method_request(const MapChoice& choice, const MethodInfo& info);

// Top-k of softmax(logits.row(row)), most probable first (double, max subtracted). `tokenizer` may
// be null (labels "#id").
std::vector<Prediction> top_predictions(const MatD& logits, int row, int k, const Tokenizer* tokenizer);

class Session {
 public:
  // The embedded default model (stories260K) and its tokenizer.
  static Result<std::shared_ptr<const Session>> open_embedded(std::shared_ptr<Device> device = nullptr);
  // A model folder: config.json + safetensors + a tokenizer (tokenizer.json, vocab.json +
  // merges.txt or vocab.txt). With `tokenizer_optional`, a folder without tokenizer files opens
  // with no tokenizer (inputs given as ids; labels "#id").
  static Result<std::shared_ptr<const Session>> open_folder(const std::filesystem::path& folder,
                                                            std::shared_ptr<Device> device = nullptr,
                                                            bool tokenizer_optional = false);
  // `device` null: the CPU.
  Session(std::shared_ptr<const Model> model, std::shared_ptr<const Tokenizer> tokenizer,
          std::shared_ptr<Device> device = nullptr, InputLimits limits = {});

  const Model& model() const { return *model_; }
  const ModelSpec& spec() const { return model_->spec; }
  const std::shared_ptr<const Model>& model_ptr() const { return model_; }
  const Tokenizer* tokenizer() const { return tokenizer_.get(); }
  const std::shared_ptr<const Tokenizer>& tokenizer_ptr() const { return tokenizer_; }
  Device& device() const { return *device_; }
  const std::shared_ptr<Device>& device_ptr() const { return device_; }
  const InputLimits& limits() const { return limits_; }
  // This model and tokenizer on another device.
  std::shared_ptr<const Session> with_device(std::shared_ptr<Device> device) const;
  // "stories260K (embedded)" or the model folder's name.
  std::string display_name() const;

  // Tokenizes under the budgets: the text size before tokenizing, the tokenizer's time bound.
  // (The token count and the Trace's memory are analyse()'s checks, so an over-long text still
  // shows its tokens.) Errors: no tokenizer, text too large, tokenization past its deadline.
  Result<Encoding> encode(std::string_view text, std::optional<std::string_view> pair = std::nullopt) const;
  // The forward pass for an encoded text (the encoding as encode() gave it, or synthesised for ids).
  // `input` empty: built from the encoding (ids, token types where the model has them). An empty
  // encoding gives an Analysis without a trace. Errors: budgets, forward() errors.
  Result<Analysis> analyse(std::string text, Encoding encoding, std::optional<ForwardInput> input = std::nullopt,
                           int top_k = 10) const;
  // encode() then analyse().
  Result<Analysis> analyse(std::string_view text, int top_k = 10) const;

  // What the registry reads for an analysis (model, trace, input, tokenizer, text; the backend is
  // set by compute()).
  MethodInputs inputs(const Analysis& analysis) const;
  // Any registry method on the Session's device, with the CPU fallback. In float64 Sessions the
  // request's "precision" option defaults to float64.
  Result<MethodOutput> compute(const Analysis& analysis, std::string_view method, const MethodRequest& request,
                               Progress* progress = nullptr) const;
  // The first map of a choice. Errors: unknown method, no trace, the method's errors.
  Result<Map> compute_map(const Analysis& analysis, const MapChoice& choice, Progress* progress = nullptr) const;
  // Every block of one method (the one every-block loop; core/methods/layer_series.h): Block or
  // Through scope; the TensorLens engine computes a whole series in one run. `base` carries head
  // (-1: every head), target and options.
  Result<LayerSeries> series(const Analysis& analysis, std::string_view method, Scope scope,
                             const MethodRequest& base = {}, Progress* progress = nullptr) const;
  // The D x D block of output token i and input token j as a Map (rows output features, columns
  // input features): the TensorLens block T[i,:,j,:] or the true Jacobian block dh_i/dx_j, for the
  // scope and block of `scope` (end to end by default).
  Result<Map> pair_block(const Analysis& analysis, int i, int j, bool true_jacobian = false,
                         const MapChoice& scope = {}, Progress* progress = nullptr) const;

  // The evaluation protocols (docs/EVALUATION.md) on the Session's device (options.backend is set
  // here). Errors and cancellation as core/eval's run_* functions.
  Result<eval::PerturbationReport> evaluate_perturbation(const std::vector<eval::EvalExample>& examples,
                                                         eval::PerturbationOptions options,
                                                         Progress* progress = nullptr) const;
  Result<eval::RelationReport> evaluate_relations(const std::vector<eval::Relation>& relations,
                                                  eval::RelationOptions options, Progress* progress = nullptr) const;
  Result<eval::IdentifiabilityReport> evaluate_identifiability(const std::vector<eval::EvalExample>& examples,
                                                               Progress* progress = nullptr) const;

 private:
  std::shared_ptr<const Model> model_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::shared_ptr<Device> device_;
  InputLimits limits_;
};

using SessionPtr = std::shared_ptr<const Session>;

}  // namespace tl::engine

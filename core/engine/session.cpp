#include "core/engine/session.h"

#include <algorithm>
#include <numeric>

#include "core/model/tokenizer_match.h"

namespace tl::engine {

// ---------------------------------------------------------------- choices

bool scope_supported(const MethodInfo& info, Scope scope) {
  return scope == Scope::Block ? info.per_layer : info.cumulative;
}

MapChoice normalised(MapChoice choice, const ModelSpec& spec) {
  const MethodInfo* info = find_method(choice.method);
  if (!info) {
    choice.method = "attention-mean";
    info = find_method(choice.method);
  }
  if (!scope_supported(*info, choice.scope)) choice.scope = info->cumulative ? Scope::EndToEnd : Scope::Block;
  choice.block = std::clamp(choice.block, 1, std::max(1, spec.num_layers));
  choice.head = std::clamp(choice.head, 0, std::max(0, spec.num_heads - 1));
  if (choice.target_token >= spec.vocab_size) choice.target_token = -1;
  return choice;
}

MethodRequest method_request(const MapChoice& choice, const MethodInfo& info) {
  MethodRequest req;
  req.scope = choice.scope;
  req.layer = choice.scope == Scope::EndToEnd ? 0 : choice.block;
  if (info.per_head) req.head = choice.head;
  if (info.uses_target) req.target_token = choice.target_token;
  req.options = choice.options.is_object() ? choice.options : nlohmann::json::object();
  return req;
}

std::vector<Prediction> top_predictions(const MatD& logits, int row, int k, const Tokenizer* tokenizer) {
  if (row < 0 || row >= logits.rows() || logits.cols() == 0) return {};
  const Eigen::VectorXd z = logits.row(row).transpose();
  const double peak = z.maxCoeff();
  const Eigen::VectorXd e = (z.array() - peak).exp();
  const double total = e.sum();
  std::vector<int> order(static_cast<std::size_t>(z.size()));
  std::iota(order.begin(), order.end(), 0);
  const int n = std::min<int>(k, static_cast<int>(order.size()));
  std::partial_sort(order.begin(), order.begin() + n, order.end(), [&](int a, int b) { return z(a) > z(b); });
  std::vector<Prediction> out;
  for (int r = 0; r < n; ++r) {
    const int id = order[static_cast<std::size_t>(r)];
    out.push_back({id, tokenizer ? tokenizer->display_token(id) : "#" + std::to_string(id), e(id) / total});
  }
  return out;
}

// ---------------------------------------------------------------- opening

Session::Session(std::shared_ptr<const Model> model, std::shared_ptr<const Tokenizer> tokenizer,
                 std::shared_ptr<Device> device, InputLimits limits)
    : model_(std::move(model)),
      tokenizer_(std::move(tokenizer)),
      device_(device ? std::move(device) : std::make_shared<Device>("cpu")),
      limits_(limits) {}

Result<std::shared_ptr<const Session>> Session::open_embedded(std::shared_ptr<Device> device) {
  auto model = load_embedded_model();
  if (!model) return model.error();
  auto tokenizer = Tokenizer::embedded();
  if (!tokenizer) return tokenizer.error();
  return std::make_shared<const Session>(model.value(), std::make_shared<const Tokenizer>(std::move(tokenizer.value())),
                                         std::move(device));
}

Result<std::shared_ptr<const Session>> Session::open_folder(const std::filesystem::path& folder,
                                                            std::shared_ptr<Device> device, bool tokenizer_optional) {
  auto model = load_model(folder);
  if (!model) return model.error();
  std::shared_ptr<const Tokenizer> tok;
  auto tokenizer = Tokenizer::from_dir(folder);
  if (tokenizer) {
    // Files of two models in one folder would surface later as an id outside the vocabulary.
    if (Status same = check_tokenizer_matches(*model.value(), tokenizer.value()); !same && !tokenizer_optional)
      return same.error();
    tok = std::make_shared<const Tokenizer>(std::move(tokenizer.value()));
  } else if (!tokenizer_optional) {
    return tokenizer.error();
  }
  return std::make_shared<const Session>(model.value(), std::move(tok), std::move(device));
}

std::shared_ptr<const Session> Session::with_device(std::shared_ptr<Device> device) const {
  return std::make_shared<const Session>(model_, tokenizer_, std::move(device), limits_);
}

std::string Session::display_name() const {
  if (model_->source.rfind("embedded:", 0) == 0) return model_->name + " (embedded)";
  return model_->name;
}

// ---------------------------------------------------------------- analysing

Result<Encoding> Session::encode(std::string_view text, std::optional<std::string_view> pair) const {
  const std::size_t bytes = text.size() + (pair ? pair->size() : 0);
  if (Status fits = check_text_size(bytes, limits_); !fits) return fits.error();
  if (!tokenizer_) return make_error(model_->name + ": this model folder has no tokenizer (give token ids instead)");
  // Bounded in time for any tokenizer.json (core/tokenizer/tokenizer.h): a regex that runs past its
  // deadline is an error naming the tokenizer, never an empty or partial encoding.
  auto encoded = pair ? tokenizer_->encode_pair_checked(text, *pair) : tokenizer_->encode_checked(text);
  if (!encoded) return encoded.error();
  return std::move(encoded.value());
}

Result<Analysis> Session::analyse(std::string text, Encoding encoding, std::optional<ForwardInput> input,
                                  int top_k) const {
  Analysis a;
  a.text = std::move(text);
  a.encoding = std::move(encoding);
  if (input) {
    a.input = std::move(*input);
  } else {
    a.input.ids = a.encoding.ids;
    if (model_->spec.type_vocab_size > 0) a.input.token_types = a.encoding.type_ids;
  }
  if (a.input.ids.empty()) return a;  // nothing to run
  if (Status fits = check_input_size(model_->spec, static_cast<std::int64_t>(a.input.ids.size()), limits_); !fits)
    return fits.error();
  auto trace = device_->forward(*model_, a.input);
  if (!trace) return trace.error();
  a.trace = std::make_shared<const Trace>(std::move(trace.value()));
  for (int id : a.input.ids) a.labels.push_back(tokenizer_ ? tokenizer_->display_token(id) : "#" + std::to_string(id));
  if (model_->spec.causal) {
    a.prediction_row = a.trace->num_tokens() - 1;
  } else {
    const int mask = tokenizer_ ? tokenizer_->mask_id() : -1;
    const auto it = std::find(a.input.ids.begin(), a.input.ids.end(), mask);
    a.prediction_row = (mask >= 0 && it != a.input.ids.end()) ? static_cast<int>(it - a.input.ids.begin()) : -1;
  }
  a.predictions = top_predictions(a.trace->logits, a.prediction_row, top_k, tokenizer_.get());
  return a;
}

Result<Analysis> Session::analyse(std::string_view text, int top_k) const {
  auto encoding = encode(text);
  if (!encoding) return encoding.error();
  return analyse(std::string(text), std::move(encoding.value()), std::nullopt, top_k);
}

// ---------------------------------------------------------------- computing

MethodInputs Session::inputs(const Analysis& analysis) const {
  MethodInputs in;
  in.model = model_.get();
  in.trace = analysis.trace.get();
  in.input = analysis.input;
  in.tokenizer = tokenizer_.get();
  in.text = analysis.text;
  return in;
}

namespace {
// A float64 Session asks the methods that have a precision option (the TensorLens engine) for
// float64; the others follow the Trace's precision.
MethodRequest with_precision(MethodRequest req, std::string_view method, Precision precision) {
  const MethodInfo* info = find_method(method);
  if (precision == Precision::Float64 && info && info->options.find("precision=") != std::string_view::npos &&
      !req.options.contains("precision"))
    req.options["precision"] = "float64";
  return req;
}
}  // namespace

Result<MethodOutput> Session::compute(const Analysis& analysis, std::string_view method, const MethodRequest& request,
                                      Progress* progress) const {
  if (!analysis.trace) return make_error("no forward pass yet");
  const MethodRequest req = with_precision(request, method, device_->precision());
  return device_->run([&](Backend& b) {
    MethodInputs in = inputs(analysis);
    in.backend = &b;
    return compute_method(method, in, req, progress);
  });
}

Result<Map> Session::compute_map(const Analysis& analysis, const MapChoice& choice, Progress* progress) const {
  const MethodInfo* info = find_method(choice.method);
  if (!info) return make_error("unknown method '" + choice.method + "'");
  auto out = compute(analysis, choice.method, method_request(choice, *info), progress);
  if (!out) return out.error();
  if (out->maps.empty()) return make_error(choice.method + ": the method gave no map");
  return std::move(out->maps.front());
}

Result<LayerSeries> Session::series(const Analysis& analysis, std::string_view method, Scope scope,
                                    const MethodRequest& base, Progress* progress) const {
  if (!analysis.trace) return make_error("no forward pass yet");
  const MethodRequest req = with_precision(base, method, device_->precision());
  return device_->run([&](Backend& b) {
    MethodInputs in = inputs(analysis);
    in.backend = &b;
    return compute_layer_series(method, in, scope, req, progress);
  });
}

Result<Map> Session::pair_block(const Analysis& analysis, int i, int j, bool true_jacobian, const MapChoice& scope,
                                Progress* progress) const {
  if (!analysis.trace) return make_error("no forward pass yet");
  const int n = analysis.trace->num_tokens();
  if (i < 0 || i >= n || j < 0 || j >= n)
    return make_error("pair (" + std::to_string(i) + ", " + std::to_string(j) + ") is outside 0.." +
                      std::to_string(n - 1));
  const std::string method = true_jacobian ? "jacobian" : "tensorlens";
  MapChoice c = scope;
  c.method = method;
  MethodRequest req;
  req.scope = c.scope;
  req.layer = c.scope == Scope::EndToEnd ? 0 : std::clamp(c.block, 1, model_->spec.num_layers);
  req.pair = std::make_pair(i, j);
  req.options = c.options.is_object() ? c.options : nlohmann::json::object();
  auto out = compute(analysis, method, req, progress);
  if (!out) return out.error();
  if (!out->block || out->maps.empty()) return make_error(method + ": no block was produced for the pair");
  return std::move(out->maps.front());
}

}  // namespace tl::engine

#include "core/methods/method_common.h"

#include <algorithm>
#include <functional>

#include "core/autodiff/tape.h"
#include "core/methods/registry.h"
#include "core/tokenizer/tokenizer.h"

namespace tl {

namespace methods {

void MethodCall::step(double fraction, const std::string& what) const {
  if (!progress) return;
  if (progress->cancelled()) throw Cancelled{};
  progress->report(fraction, what);
}

int MethodCall::option_int(const char* key, int fallback) const {
  const auto it = req.options.find(key);
  return it != req.options.end() && it->is_number_integer() ? it->get<int>() : fallback;
}

double MethodCall::option_double(const char* key, double fallback) const {
  const auto it = req.options.find(key);
  return it != req.options.end() && it->is_number() ? it->get<double>() : fallback;
}

std::string MethodCall::option_string(const char* key, const std::string& fallback) const {
  const auto it = req.options.find(key);
  return it != req.options.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool MethodCall::option_bool(const char* key, bool fallback) const {
  const auto it = req.options.find(key);
  return it != req.options.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

std::shared_ptr<const autodiff::DoubleWeights> derivative_weights(const MethodCall& call) {
  if (call.in.derivative_weights && &call.in.derivative_weights->model() == call.in.model) return call.in.derivative_weights;
  return std::make_shared<const autodiff::DoubleWeights>(call.model());
}

ForwardInput forward_input(const MethodInputs& in) {
  if (!in.input.ids.empty()) return in.input;
  ForwardInput out;
  out.ids = in.trace->ids;
  out.token_types = in.trace->token_types;
  return out;
}

std::vector<std::string> token_labels(const MethodInputs& in) {
  std::vector<std::string> labels;
  for (int id : in.trace->ids) {
    if (in.tokenizer) {
      labels.push_back(in.tokenizer->display_token(id));
    } else {
      labels.emplace_back("#");  // appended, not "#" + s: GCC 12 warns (-Wrestrict) on that form
      labels.back() += std::to_string(id);
    }
  }
  return labels;
}

std::string layers_label(Scope scope, int layer, int num_layers, int head) {
  std::string s;
  switch (scope) {
    case Scope::Block: s = "block " + std::to_string(layer); break;
    case Scope::Through: s = layer == 1 ? "block 1" : "blocks 1.." + std::to_string(layer); break;
    case Scope::EndToEnd: s = "end to end (" + std::to_string(num_layers) + " blocks)"; break;
  }
  if (head >= 0) s = "head " + std::to_string(head) + " of " + s;
  return s;
}

Map make_map(const MethodCall& call, Eigen::MatrixXd values, const std::string& layers, bool is_signed) {
  Map m;
  m.values = std::move(values);
  m.row_labels = m.col_labels = token_labels(call.in);
  m.is_signed = is_signed;
  m.provenance.model = call.model().name + " (" + call.model().source + ")";
  m.provenance.text = call.in.text;
  m.provenance.method = std::string(call.info.name);
  m.provenance.layers = layers;
  m.provenance.options = call.req.options;
  return m;
}

Map make_row_map(const MethodCall& call, Eigen::MatrixXd values, const std::vector<int>& rows, bool is_signed) {
  Map m = make_map(call, std::move(values), "end to end", is_signed);
  const std::vector<std::string> labels = m.col_labels;
  m.row_labels.clear();
  for (int r : rows) m.row_labels.push_back(labels[size_t(r)]);
  return m;
}

Result<Explained> resolve_explained(const MethodCall& call) {
  const Trace& t = call.trace();
  const int n = t.num_tokens();
  Explained e;
  e.position = call.req.position;
  if (e.position < 0) {
    if (call.spec().causal) {
      e.position = n - 1;
    } else {
      const int mask = call.in.tokenizer ? call.in.tokenizer->mask_id() : -1;
      const auto it = std::find(t.ids.begin(), t.ids.end(), mask);
      if (mask < 0 || it == t.ids.end()) {
        return make_error(std::string(call.info.name) +
                          ": an encoder explains a masked position; the input has no mask token, so give the position");
      }
      e.position = int(it - t.ids.begin());
    }
  }
  if (e.position >= n) {
    return make_error(std::string(call.info.name) + ": position " + std::to_string(e.position) + " is beyond the " +
                      std::to_string(n) + " tokens");
  }
  if (call.req.target_token >= call.spec().vocab_size) {
    return make_error(std::string(call.info.name) + ": target token " + std::to_string(call.req.target_token) +
                      " is outside the vocabulary of " + std::to_string(call.spec().vocab_size));
  }
  e.token = target_at(call, e.position);
  return e;
}

int target_at(const MethodCall& call, int position) {
  if (call.req.target_token >= 0) return call.req.target_token;
  Eigen::Index best = 0;
  call.trace().logits.row(position).maxCoeff(&best);
  return int(best);
}

int neutral_token(const Model& model, const Tokenizer* tok) {
  const ModelSpec& s = model.spec;
  if (tok) {
    if (s.is_encoder() && tok->mask_id() >= 0) return tok->mask_id();
    for (int id : {tok->pad_id(), tok->unk_id(), tok->eos_id(), tok->bos_id()}) {
      if (id >= 0 && id < s.vocab_size) return id;
    }
  }
  for (int id : {s.pad_token_id, s.eos_token_id, s.bos_token_id}) {
    if (id >= 0 && id < s.vocab_size) return id;
  }
  return 0;
}

Status check_layer(const MethodCall& call, bool allow_all) {
  const int L = call.layers();
  const int layer = call.req.layer;
  if (call.req.scope == Scope::EndToEnd) return Status::Ok();
  if ((layer == 0 && allow_all) || (layer >= 1 && layer <= L)) return Status::Ok();
  return make_error(std::string(call.info.name) + ": layer " + std::to_string(layer) + " is outside 1.." +
                    std::to_string(L) + (allow_all ? " (0 = every layer)" : ""));
}

std::vector<int> requested_layers(const MethodCall& call) {
  if (call.req.scope == Scope::EndToEnd) return {call.layers()};
  if (call.req.layer > 0) return {call.req.layer};
  std::vector<int> all;
  for (int l = 1; l <= call.layers(); ++l) all.push_back(l);
  return all;
}

Eigen::MatrixXd mean_attention(const Trace& trace, int layer) {
  const auto& probs = trace.blocks[size_t(layer - 1)].attn_probs;
  Eigen::MatrixXd mean = Eigen::MatrixXd::Zero(trace.num_tokens(), trace.num_tokens());
  for (const MatD& p : probs) mean += p;
  return mean / double(probs.size());
}

Eigen::MatrixXd residual_augmented(const Eigen::MatrixXd& attention) {
  return row_normalised(attention + Eigen::MatrixXd::Identity(attention.rows(), attention.cols()));
}

Eigen::MatrixXd row_normalised(const Eigen::MatrixXd& m) {
  Eigen::MatrixXd out = m;
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    const double sum = m.row(i).sum();
    if (sum != 0) out.row(i) /= sum;
  }
  return out;
}

Status check_head(const MethodCall& call) {
  const int h = call.req.head;
  if (h >= -1 && h < call.spec().num_heads) return Status::Ok();
  return make_error(std::string(call.info.name) + ": head " + std::to_string(h) + " is outside 0.." +
                    std::to_string(call.spec().num_heads - 1) + " (-1 = every head)");
}

std::vector<int> per_layer_list(const MethodCall& call) {
  if (call.req.scope == Scope::EndToEnd || call.req.layer == 0) {
    std::vector<int> all;
    for (int l = 1; l <= call.layers(); ++l) all.push_back(l);
    return all;
  }
  return {call.req.layer};
}

Result<MethodOutput> layered(const MethodCall& call, const std::function<Eigen::MatrixXd(int)>& layer_matrix,
                             const std::function<Eigen::MatrixXd(const std::vector<Eigen::MatrixXd>&)>& compose) {
  if (Status st = check_layer(call, true); !st) return st.error();
  const int L = call.layers();
  std::vector<Eigen::MatrixXd> per_layer;
  const std::vector<int> wanted = requested_layers(call);
  const int deepest = call.req.scope == Scope::Block ? L : wanted.back();
  for (int l = 1; l <= deepest; ++l) {
    call.step(0.5 * (l - 1) / deepest, "layer " + std::to_string(l) + "/" + std::to_string(deepest));
    per_layer.push_back(call.req.scope == Scope::Block && std::find(wanted.begin(), wanted.end(), l) == wanted.end()
                            ? Eigen::MatrixXd()
                            : layer_matrix(l));
  }
  MethodOutput out;
  for (size_t k = 0; k < wanted.size(); ++k) {
    const int l = wanted[k];
    call.step(0.5 + 0.5 * double(k) / double(wanted.size()), "composing layer " + std::to_string(l));
    Eigen::MatrixXd values = call.req.scope == Scope::Block
                          ? per_layer[size_t(l - 1)]
                          : compose(std::vector<Eigen::MatrixXd>(per_layer.begin(), per_layer.begin() + l));
    out.maps.push_back(make_map(call, std::move(values), layers_label(call.req.scope, l, L), call.info.is_signed));
  }
  return out;
}

}  // namespace methods
}  // namespace tl

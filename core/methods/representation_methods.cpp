// What the hidden states still encode: token identifiability (Brunner et al. 2020) and the logit
// lens (every block's residual stream read through the final norm and the unembedding).
#include <algorithm>
#include <numeric>

#include "core/forward/ops.h"
#include "core/methods/method_impls.h"
#include "core/methods/registry.h"

namespace tl::methods {
namespace {

using Eigen::MatrixXd;

std::vector<std::string> stage_labels(int num_layers) {
  std::vector<std::string> labels{"embeddings"};
  for (int l = 1; l <= num_layers; ++l) labels.push_back("block " + std::to_string(l));
  return labels;
}

// Logits of residual-stream rows h [N, D] as the model's head would compute them from the last
// block's output: final norm (with its own fresh scale) and unembedding, or the masked-LM head.
// The vocabulary projection runs in float (the lens reads probabilities, 1e-6 relative is plenty,
// and a double copy of a 50k x 768 unembedding would cost 300 MB).
MatrixXd read_out(const Model& model, const MatrixXd& h) {
  const ModelSpec& s = model.spec;
  const Weights& w = model.weights;
  MatrixXd x = h;
  if (s.mlm_head) {
    const Activation act = s.mlm_activation;
    const MatrixXd pre = ops::linear<double>(h, w.mlm->dense);
    Eigen::VectorXd inv;
    ops::layer_norm<double>(ops::activate<double>(act, pre), w.mlm->norm.gamma.cast<double>(),
                            w.mlm->norm.beta.cast<double>(), s.norm_eps, x, inv);
    MatF logits = x.cast<float>() * w.token_embedding.transpose();
    logits.rowwise() += w.mlm->decoder_bias.transpose();
    return logits.cast<double>();
  }
  if (s.final_norm) {
    Eigen::VectorXd inv;
    ops::normalize<double>(s.norm, h, w.final_norm.gamma.cast<double>(), w.final_norm.beta.cast<double>(), s.norm_eps, x, inv);
  }
  MatF logits = x.cast<float>() * w.unembedding().transpose();
  if (w.lm_head_bias.size()) logits.rowwise() += w.lm_head_bias.transpose();
  return logits.cast<double>();
}

}  // namespace

Result<MethodOutput> run_logit_lens(const MethodCall& call) {
  const Trace& t = call.trace();
  const int n = call.n(), L = call.layers();
  const int top_k = std::clamp(call.option_int("top_k", 5), 1, call.spec().vocab_size);
  LogitLens lens;
  lens.top_k = top_k;
  for (int i = 0; i < n; ++i) lens.predicted.push_back(target_at(call, i));
  lens.probability.resize(L + 1, n);
  lens.rank.resize(L + 1, n);
  lens.top.resize(size_t(L + 1));
  std::vector<int> order(size_t(call.spec().vocab_size));
  for (int s = 0; s <= L; ++s) {
    call.step(double(s) / (L + 1), "stage " + std::to_string(s) + "/" + std::to_string(L));
    const MatrixXd& h = s == 0 ? t.embeddings : t.blocks[size_t(s - 1)].output;
    MatrixXd logits = read_out(call.model(), h);
    for (int i = 0; i < n; ++i) {
      Eigen::RowVectorXd p = (logits.row(i).array() - logits.row(i).maxCoeff()).exp();
      p /= p.sum();
      const int predicted = lens.predicted[size_t(i)];
      lens.probability(s, i) = p[predicted];
      lens.rank(s, i) = int((p.array() > p[predicted]).count());
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + top_k, order.end(), [&](int a, int b) { return p[a] > p[b]; });
      std::vector<std::pair<int, double>> top;
      for (int k = 0; k < top_k; ++k) top.emplace_back(order[size_t(k)], p[order[size_t(k)]]);
      lens.top[size_t(s)].push_back(std::move(top));
    }
  }
  MethodOutput out;
  Map m = make_map(call, lens.probability, "every block", false);
  m.row_labels = stage_labels(L);
  out.maps.push_back(std::move(m));
  out.logit_lens = std::move(lens);
  return out;
}

Result<MethodOutput> run_token_identifiability(const MethodCall& call) {
  if (Status st = check_layer(call, true); !st) return st.error();
  const std::string metric = call.option_string("metric", "cosine");
  if (metric != "cosine" && metric != "l2") return make_error("token-identifiability: metric '" + metric + "' is not cosine or l2");
  const Trace& t = call.trace();
  const int n = call.n(), L = call.layers();
  const MatrixXd& e = t.embeddings;
  const Eigen::VectorXd e_norms = e.rowwise().norm();
  Identifiability id;
  std::vector<MatrixXd> cosine(size_t(L + 1)), distance(size_t(L + 1));
  for (int l = 0; l <= L; ++l) {
    const MatrixXd& h = t.hidden_state(l);
    const MatrixXd dots = h * e.transpose();
    const Eigen::VectorXd h_norms = h.rowwise().norm();
    MatrixXd& cos = cosine[size_t(l)];
    MatrixXd& dist = distance[size_t(l)];
    cos = dots.array() / (h_norms * e_norms.transpose()).array().max(1e-300);
    dist = ((h_norms.array().square().matrix() * Eigen::RowVectorXd::Ones(n)).rowwise() + e_norms.array().square().matrix().transpose()) -
           2 * dots;
    dist = dist.cwiseMax(0.0).cwiseSqrt();
    std::vector<int> near_cos, near_l2;
    int hits_cos = 0, hits_l2 = 0;
    for (int i = 0; i < n; ++i) {
      Eigen::Index jc = 0, jd = 0;
      cos.row(i).maxCoeff(&jc);
      dist.row(i).minCoeff(&jd);
      near_cos.push_back(int(jc));
      near_l2.push_back(int(jd));
      hits_cos += jc == i;
      hits_l2 += jd == i;
    }
    id.nearest_cosine.push_back(std::move(near_cos));
    id.nearest_l2.push_back(std::move(near_l2));
    id.share_cosine.push_back(double(hits_cos) / n);
    id.share_l2.push_back(double(hits_l2) / n);
  }
  MethodOutput out;
  for (int l : per_layer_list(call)) {
    Map m = make_map(call, metric == "cosine" ? cosine[size_t(l)] : distance[size_t(l)],
                     "hidden state " + std::to_string(l) + " against the input embeddings", metric == "cosine");
    m.provenance.options["metric"] = metric;
    m.provenance.options["identified_share"] = metric == "cosine" ? id.share_cosine[size_t(l)] : id.share_l2[size_t(l)];
    out.maps.push_back(std::move(m));
  }
  out.identifiability = std::move(id);
  return out;
}

}  // namespace tl::methods

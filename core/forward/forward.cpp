// CPU forward pass for every family, one code path parameterised by ModelSpec.
//
// Sections: input validation and position ids; embeddings; attention; FFN; blocks (pre-norm,
// post-norm, parallel residual); heads (final norm, LM head, masked-LM head); entry point.
//
// Computation runs in T = float (Precision::Float32) or double (Float64); the float weights are
// converted per matrix as each is used, so a Float64 pass never holds a second copy of the model.
#include "core/forward/forward.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>

#include "core/forward/ops.h"

namespace tl {
namespace {

using ops::Mat;
using ops::Vec;

template <class T>
MatD to_double(const Mat<T>& m) {
  if constexpr (std::is_same_v<T, double>) {
    return m;
  } else {
    return m.template cast<double>();
  }
}

template <class T>
VecD to_double(const Vec<T>& v) {
  if constexpr (std::is_same_v<T, double>) {
    return v;
  } else {
    return v.template cast<double>();
  }
}

// ---- Input validation and position ids --------------------------------------------------------

// Loading validates every tensor; this re-checks the shapes the forward pass indexes by, cheaply,
// so that a Model assembled in code (tests, benches, synthetic models) fails with a message
// instead of reading out of bounds.
std::string check_linear(const Linear& l, Eigen::Index in, Eigen::Index out, const std::string& name) {
  if (l.W.rows() != in || l.W.cols() != out || (l.b.size() && l.b.size() != out)) {
    return name + " is [" + std::to_string(l.W.rows()) + ", " + std::to_string(l.W.cols()) + "], expected [" +
           std::to_string(in) + ", " + std::to_string(out) + "] (bias empty or [" + std::to_string(out) + "])";
  }
  return {};
}

std::string check_norm(const NormWeights& n, Eigen::Index d, const std::string& name) {
  if (n.gamma.size() != d || (n.beta.size() && n.beta.size() != d)) {
    return name + " has " + std::to_string(n.gamma.size()) + " gains, expected " + std::to_string(d);
  }
  return {};
}

Status check_model_shapes(const Model& model) {
  const ModelSpec& s = model.spec;
  const Weights& w = model.weights;
  if (int(w.blocks.size()) != s.num_layers) {
    return make_error("forward: model has " + std::to_string(w.blocks.size()) + " blocks, spec says " +
                      std::to_string(s.num_layers));
  }
  const Eigen::Index D = s.hidden_size, F = s.intermediate_size;
  if (w.token_embedding.rows() != s.vocab_size || w.token_embedding.cols() != D) {
    return make_error("forward: token embedding is not [vocab_size, hidden_size]");
  }
  if (s.num_heads <= 0 || s.num_kv_heads <= 0 || s.num_heads % s.num_kv_heads != 0 || s.head_dim <= 0) {
    return make_error("forward: num_heads must be a positive multiple of num_kv_heads");
  }
  if (s.positions == Positions::Learned && w.position_embedding.cols() != D) {
    return make_error("forward: learned positions but no [positions, hidden_size] position embedding");
  }
  if (w.token_type_embedding.size() && w.token_type_embedding.cols() != D) {
    return make_error("forward: token type embedding is not [types, hidden_size]");
  }
  const MatF& unembedding = s.mlm_head ? w.token_embedding : w.unembedding();
  const VecF& logit_bias = s.mlm_head && w.mlm ? w.mlm->decoder_bias : w.lm_head_bias;
  if (unembedding.rows() != s.vocab_size || unembedding.cols() != D ||
      (logit_bias.size() && logit_bias.size() != s.vocab_size)) {
    return make_error("forward: unembedding is not [vocab_size, hidden_size] (bias empty or [vocab_size])");
  }
  const Eigen::Index q = Eigen::Index(s.num_heads) * s.head_dim, kv = Eigen::Index(s.num_kv_heads) * s.head_dim;
  std::string problem;
  if (s.embedding_norm) problem = check_norm(w.embedding_norm, D, "embedding norm");
  if (problem.empty() && s.final_norm) problem = check_norm(w.final_norm, D, "final norm");
  if (problem.empty() && s.mlm_head) {
    if (!w.mlm) return make_error("forward: spec has a masked-LM head but the weights do not");
    problem = check_linear(w.mlm->dense, D, D, "MLM dense");
    if (problem.empty()) problem = check_norm(w.mlm->norm, D, "MLM norm");
  }
  for (size_t l = 0; l < w.blocks.size() && problem.empty(); ++l) {
    const BlockWeights& b = w.blocks[l];
    const std::string at = "block " + std::to_string(l + 1) + " ";
    for (const std::string& p :
         {check_norm(b.ln1, D, at + "ln1"), check_norm(b.ln2, D, at + "ln2"), check_linear(b.attn.q, D, q, at + "q"),
          check_linear(b.attn.k, D, kv, at + "k"), check_linear(b.attn.v, D, kv, at + "v"),
          check_linear(b.attn.o, q, D, at + "o"), check_linear(b.ffn.up, D, F, at + "up"),
          s.gated_ffn ? check_linear(b.ffn.gate, D, F, at + "gate") : std::string(),
          check_linear(b.ffn.down, F, D, at + "down")}) {
      if (problem.empty()) problem = p;
    }
  }
  if (!problem.empty()) return make_error("forward: " + problem);
  return Status::Ok();
}

Status validate_input(const Model& model, const ForwardInput& in) {
  const ModelSpec& s = model.spec;
  const size_t n = in.ids.size();
  if (n == 0) return make_error("forward: empty input (no tokens)");
  for (size_t i = 0; i < n; ++i) {
    if (in.ids[i] < 0 || in.ids[i] >= s.vocab_size) {
      return make_error("forward: token id " + std::to_string(in.ids[i]) + " at position " + std::to_string(i) +
                        " is outside the vocabulary [0, " + std::to_string(s.vocab_size) + ")");
    }
  }
  if (s.positions == Positions::Rotary && s.max_positions > 0 && n > size_t(s.max_positions)) {
    return make_error("forward: " + std::to_string(n) + " tokens exceed the model's maximum of " +
                      std::to_string(s.max_positions) + " positions");
  }
  if (!in.token_types.empty()) {
    if (in.token_types.size() != n) {
      return make_error("forward: " + std::to_string(in.token_types.size()) + " token types for " +
                        std::to_string(n) + " tokens");
    }
    const int type_vocab = int(model.weights.token_type_embedding.rows());
    for (size_t i = 0; i < n; ++i) {
      const int t = in.token_types[i];
      if (t < 0 || (t >= type_vocab && !(type_vocab == 0 && t == 0))) {
        return make_error("forward: token type " + std::to_string(t) + " at position " + std::to_string(i) +
                          (type_vocab == 0 ? " but the model has no token types"
                                           : " is outside [0, " + std::to_string(type_vocab) + ")"));
      }
    }
  }
  if (in.inputs_embeds.size() &&
      (in.inputs_embeds.rows() != Eigen::Index(n) || in.inputs_embeds.cols() != s.hidden_size)) {
    return make_error("forward: inputs_embeds is [" + std::to_string(in.inputs_embeds.rows()) + ", " +
                      std::to_string(in.inputs_embeds.cols()) + "], expected [" + std::to_string(n) + ", " +
                      std::to_string(s.hidden_size) + "]");
  }
  if (!in.attention_mask.empty()) {
    if (in.attention_mask.size() != n) {
      return make_error("forward: attention mask has " + std::to_string(in.attention_mask.size()) +
                        " entries for " + std::to_string(n) + " tokens");
    }
    for (size_t i = 0; i < n; ++i) {
      if (in.attention_mask[i] != 0 && in.attention_mask[i] != 1) {
        return make_error("forward: attention mask entry " + std::to_string(i) + " is " +
                          std::to_string(in.attention_mask[i]) + ", expected 0 or 1");
      }
    }
  }
  return Status::Ok();
}

// Hugging Face position ids. From input ids, RoBERTa numbers non-padding tokens from
// pad_token_id + 1 and gives padding tokens pad_token_id (create_position_ids_from_input_ids);
// from inputs_embeds it counts from pad_token_id + 1 without looking at padding. The other
// families count from 0.
std::vector<int> position_ids(const ModelSpec& s, const std::vector<int>& ids, bool from_embeds) {
  std::vector<int> pos(ids.size());
  if (s.family == Family::Roberta && !from_embeds) {
    const int pad = s.position_offset - 1;
    int count = 0;
    for (size_t i = 0; i < ids.size(); ++i) pos[i] = ids[i] == pad ? pad : pad + ++count;
  } else {
    for (size_t i = 0; i < ids.size(); ++i) pos[i] = s.position_offset + int(i);
  }
  return pos;
}

Status validate_positions(const Model& model, const std::vector<int>& positions) {
  if (model.spec.positions != Positions::Learned) return Status::Ok();
  const int rows = int(model.weights.position_embedding.rows());
  const int last = *std::max_element(positions.begin(), positions.end());
  if (last >= rows) {
    return make_error("forward: " + std::to_string(positions.size()) + " tokens need position id " +
                      std::to_string(last) + " but the model has " + std::to_string(rows) + " positions");
  }
  return Status::Ok();
}

// ---- Embeddings -------------------------------------------------------------------------------

// Gathers rows of a [rows, D] float matrix into a [N, D] matrix of T.
template <class T>
Mat<T> gather_rows(const MatF& table, const std::vector<int>& rows) {
  Mat<T> out(Eigen::Index(rows.size()), table.cols());
  for (size_t i = 0; i < rows.size(); ++i) out.row(Eigen::Index(i)) = table.row(rows[i]).template cast<T>();
  return out;
}

template <class T>
void normalize(const ModelSpec& s, const NormWeights& w, const Mat<T>& x, Mat<T>& out, Vec<T>& inv_scale) {
  ops::normalize<T>(s.norm, x, ops::weights_as(w.gamma, T{}), ops::weights_as(w.beta, T{}), s.norm_eps, out,
                    inv_scale);
}

template <class T>
Mat<T> embed(const Model& model, const ForwardInput& in, Trace& trace) {
  const ModelSpec& s = model.spec;
  const Weights& w = model.weights;
  Mat<T> tokens;
  if (in.inputs_embeds.size()) {
    tokens = in.inputs_embeds.cast<T>();
  } else {
    tokens = gather_rows<T>(w.token_embedding, trace.ids);
  }
  trace.token_embeddings = to_double(tokens);
  Mat<T> sum = tokens;
  if (s.positions == Positions::Learned) sum += gather_rows<T>(w.position_embedding, trace.positions);
  if (w.token_type_embedding.size()) sum += gather_rows<T>(w.token_type_embedding, trace.token_types);
  trace.embedding_sum = to_double(sum);
  if (!s.embedding_norm) {
    trace.embeddings = trace.embedding_sum;
    return sum;
  }
  Mat<T> normed;
  Vec<T> inv_scale;
  normalize(s, w.embedding_norm, sum, normed, inv_scale);
  trace.embedding_inv_scale = to_double(inv_scale);
  trace.embeddings = to_double(normed);
  return normed;
}

// ---- Attention --------------------------------------------------------------------------------

// Multi-head attention of x [N, D]; fills q/k/v (after RoPE), probabilities per query head,
// context and the projected output.
template <class T>
Mat<T> attention(const ModelSpec& s, const AttentionWeights& w, const Mat<T>& x, const Mat<T>& mask,
                 const std::vector<int>& positions, BlockTrace& bt) {
  const int H = s.num_heads, hd = s.head_dim, group = s.num_heads / s.num_kv_heads;
  Mat<T> q = ops::linear(x, w.q), k = ops::linear(x, w.k), v = ops::linear(x, w.v);
  if (s.positions == Positions::Rotary) {
    const int rotary_dim = s.rotary_dim > 0 ? s.rotary_dim : hd;
    ops::apply_rope(q, s.num_heads, hd, rotary_dim, s.rope_theta, positions);
    ops::apply_rope(k, s.num_kv_heads, hd, rotary_dim, s.rope_theta, positions);
  }
  const T scale = T(1.0 / std::sqrt(double(hd)));
  const Eigen::Index n = x.rows();
  Mat<T> context(n, Eigen::Index(H) * hd);
  Mat<T> probs(n, n);
  bt.attn_probs.resize(size_t(H));
  for (int h = 0; h < H; ++h) {
    const Eigen::Index qc = Eigen::Index(h) * hd, kc = Eigen::Index(h / group) * hd;
    probs.noalias() = q.middleCols(qc, hd) * k.middleCols(kc, hd).transpose();
    probs *= scale;
    ops::masked_softmax_rows(probs, mask);
    context.middleCols(qc, hd).noalias() = probs * v.middleCols(kc, hd);
    bt.attn_probs[size_t(h)] = to_double(probs);
  }
  Mat<T> out = ops::linear(context, w.o);
  bt.q = to_double(q);
  bt.k = to_double(k);
  bt.v = to_double(v);
  bt.attn_context = to_double(context);
  bt.attn_out = to_double(out);
  return out;
}

// ---- FFN --------------------------------------------------------------------------------------

template <class T>
Mat<T> ffn(const ModelSpec& s, const FfnWeights& w, const Mat<T>& x, BlockTrace& bt) {
  const Mat<T> pre = ops::linear(x, s.gated_ffn ? w.gate : w.up);
  const Mat<T> ratio = ops::activation_ratio(s.activation, pre);
  Mat<T> hidden = pre.cwiseProduct(ratio);
  if (s.gated_ffn) {
    const Mat<T> up = ops::linear(x, w.up);
    hidden = hidden.cwiseProduct(up);
    bt.ffn_up = to_double(up);
  }
  Mat<T> out = ops::linear(hidden, w.down);
  bt.ffn_pre = to_double(pre);
  bt.ffn_ratio = to_double(ratio);
  bt.ffn_hidden = to_double(hidden);
  bt.ffn_out = to_double(out);
  return out;
}

// ---- Blocks -----------------------------------------------------------------------------------

template <class T>
Mat<T> block(const ModelSpec& s, const BlockWeights& w, const Mat<T>& x, const Mat<T>& mask,
             const std::vector<int>& positions, BlockTrace& bt) {
  bt.input = to_double(x);
  Mat<T> ln1_out, ln2_out, out;
  Vec<T> ln1_inv, ln2_inv;
  switch (s.topology) {
    case Topology::PreNorm: {
      normalize(s, w.ln1, x, ln1_out, ln1_inv);
      const Mat<T> mid = x + attention(s, w.attn, ln1_out, mask, positions, bt);
      normalize(s, w.ln2, mid, ln2_out, ln2_inv);
      out = mid + ffn(s, w.ffn, ln2_out, bt);
      bt.ln1_input = bt.input;
      bt.ln2_input = to_double(mid);
      break;
    }
    case Topology::Parallel: {
      normalize(s, w.ln1, x, ln1_out, ln1_inv);
      normalize(s, w.ln2, x, ln2_out, ln2_inv);
      const Mat<T> attn_out = attention(s, w.attn, ln1_out, mask, positions, bt);
      out = x + attn_out + ffn(s, w.ffn, ln2_out, bt);
      bt.ln1_input = bt.input;
      bt.ln2_input = bt.input;
      break;
    }
    case Topology::PostNorm: {
      const Mat<T> ln1_in = x + attention(s, w.attn, x, mask, positions, bt);
      normalize(s, w.ln1, ln1_in, ln1_out, ln1_inv);
      const Mat<T> ln2_in = ln1_out + ffn(s, w.ffn, ln1_out, bt);
      normalize(s, w.ln2, ln2_in, ln2_out, ln2_inv);
      out = ln2_out;
      bt.ln1_input = to_double(ln1_in);
      bt.ln2_input = to_double(ln2_in);
      break;
    }
  }
  bt.ln1_inv_scale = to_double(ln1_inv);
  bt.ln1_out = to_double(ln1_out);
  bt.ln2_inv_scale = to_double(ln2_inv);
  bt.ln2_out = to_double(ln2_out);
  bt.output = to_double(out);
  return out;
}

// ---- Heads ------------------------------------------------------------------------------------

// Logits = h U^T + bias, U [V, D] the (tied or untied) unembedding.
template <class T>
Mat<T> unembed(const MatF& unembedding, const VecF& bias, const Mat<T>& h) {
  const auto& U = ops::weights_as(unembedding, T{});
  Mat<T> logits = h * U.transpose();
  if (bias.size()) logits.rowwise() += ops::weights_as(bias, T{}).transpose();
  return logits;
}

// BERT/RoBERTa: decoder(LN(gelu(dense(h)))), decoder tied to the token embedding. RoBERTa's head
// hard-codes erf GELU; BERT's follows hidden_act.
template <class T>
Mat<T> mlm_head(const ModelSpec& s, const MlmHeadWeights& w, const MatF& token_embedding, const Mat<T>& h,
                Trace& trace) {
  const Activation act = s.mlm_activation;
  const Mat<T> pre = ops::linear(h, w.dense);
  const Mat<T> ratio = ops::activation_ratio(act, pre);
  Mat<T> normed;
  Vec<T> inv_scale;
  ops::layer_norm<T>(pre.cwiseProduct(ratio), ops::weights_as(w.norm.gamma, T{}), ops::weights_as(w.norm.beta, T{}),
                     s.norm_eps, normed, inv_scale);
  trace.mlm_pre = to_double(pre);
  trace.mlm_ratio = to_double(ratio);
  trace.mlm_inv_scale = to_double(inv_scale);
  trace.mlm_hidden = to_double(normed);
  return unembed(token_embedding, w.decoder_bias, normed);
}

template <class T>
void run(const Model& model, const ForwardInput& in, Trace& trace) {
  const ModelSpec& s = model.spec;
  const Weights& w = model.weights;
  Mat<T> x = embed<T>(model, in, trace);
  const Mat<T> mask = ops::attention_mask<T>(int(in.ids.size()), s.causal, in.attention_mask);
  trace.blocks.resize(size_t(s.num_layers));
  for (int l = 0; l < s.num_layers; ++l) {
    x = block(s, w.blocks[size_t(l)], x, mask, trace.positions, trace.blocks[size_t(l)]);
  }
  if (s.final_norm) {
    Mat<T> normed;
    Vec<T> inv_scale;
    normalize(s, w.final_norm, x, normed, inv_scale);
    trace.final_inv_scale = to_double(inv_scale);
    x = std::move(normed);
  }
  trace.final_hidden = to_double(x);
  const Mat<T> logits = s.mlm_head ? mlm_head(s, *w.mlm, w.token_embedding, x, trace)
                                   : unembed(w.unembedding(), w.lm_head_bias, x);
  trace.logits = to_double(logits);
}

}  // namespace

Result<Trace> start_trace(const Model& model, const ForwardInput& input, Precision precision) {
  if (Status st = check_model_shapes(model); !st) return st.error();
  if (Status st = validate_input(model, input); !st) return st.error();
  Trace trace;
  trace.precision = precision;
  trace.ids = input.ids;
  trace.positions = position_ids(model.spec, input.ids, input.inputs_embeds.size() > 0);
  if (Status st = validate_positions(model, trace.positions); !st) return st.error();
  if (model.weights.token_type_embedding.size()) {
    trace.token_types = input.token_types.empty() ? std::vector<int>(input.ids.size(), 0) : input.token_types;
  }
  return trace;
}

Result<Trace> forward(const Model& model, const ForwardInput& input, const ForwardOptions& options) {
  auto started = start_trace(model, input, options.precision);
  if (!started) return started.error();
  Trace trace = std::move(started.value());
  if (options.precision == Precision::Float64) {
    run<double>(model, input, trace);
  } else {
    run<float>(model, input, trace);
  }
  return trace;
}

}  // namespace tl

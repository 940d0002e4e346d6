#include "core/autodiff/derivatives.h"

#include "core/autodiff/components.h"
#include "core/util/assert.h"

namespace tl::autodiff {
namespace {

using detail::NormPoint;

NormPoint embedding_norm_point(const Tape& tape) {
  const Trace& t = tape.trace();
  return {tape.spec().norm, &t.embedding_sum, &t.embedding_inv_scale, &tape.embedding_norm_gamma()};
}

NormPoint final_norm_point(const Tape& tape) {
  const Trace& t = tape.trace();
  return {tape.spec().norm, &t.blocks.back().output, &t.final_inv_scale, &tape.final_norm_gamma()};
}

}  // namespace

MatD embeddings_jvp(const Tape& tape, const MatD& d_token_rows, int first_row) {
  if (!tape.spec().embedding_norm) return d_token_rows;
  return detail::norm_jvp(embedding_norm_point(tape), d_token_rows, first_row);
}

MatD embeddings_vjp(const Tape& tape, const MatD& g_embeddings) {
  if (!tape.spec().embedding_norm) return g_embeddings;
  return detail::norm_vjp(embedding_norm_point(tape), g_embeddings);
}

MatD final_norm_jvp(const Tape& tape, const MatD& d_last_block, int first_row) {
  if (!tape.spec().final_norm) return d_last_block;
  return detail::norm_jvp(final_norm_point(tape), d_last_block, first_row);
}

MatD final_norm_vjp(const Tape& tape, const MatD& g_final_hidden) {
  if (!tape.spec().final_norm) return g_final_hidden;
  return detail::norm_vjp(final_norm_point(tape), g_final_hidden);
}

MatD block_jvp(const Tape& tape, int layer, const MatD& dx, int first_row) {
  using namespace detail;
  TL_ASSERT(first_row == 0 || tape.spec().causal, "block_jvp: a row window needs a causal model");
  const NormPoint ln1 = ln1_point(tape, layer), ln2 = ln2_point(tape, layer);
  const int f = first_row;
  switch (tape.spec().topology) {
    case Topology::PreNorm: {  // mid = x + attn(ln1 x); out = mid + ffn(ln2 mid)
      const MatD d_mid = dx + attention_jvp(tape, layer, norm_jvp(ln1, dx, f), f);
      return d_mid + ffn_jvp(tape, layer, norm_jvp(ln2, d_mid, f), f);
    }
    case Topology::Parallel:  // out = x + attn(ln1 x) + ffn(ln2 x)
      return dx + attention_jvp(tape, layer, norm_jvp(ln1, dx, f), f) + ffn_jvp(tape, layer, norm_jvp(ln2, dx, f), f);
    case Topology::PostNorm: {  // h = ln1(x + attn x); out = ln2(h + ffn h)
      const MatD dh = norm_jvp(ln1, dx + attention_jvp(tape, layer, dx, f), f);
      return norm_jvp(ln2, dh + ffn_jvp(tape, layer, dh, f), f);
    }
  }
  TL_ASSERT(false, "block_jvp: unknown topology");
  return MatD();
}

MatD block_vjp(const Tape& tape, int layer, const MatD& g, std::vector<MatD>* g_attention) {
  using namespace detail;
  const NormPoint ln1 = ln1_point(tape, layer), ln2 = ln2_point(tape, layer);
  switch (tape.spec().topology) {
    case Topology::PreNorm: {
      const MatD g_mid = g + norm_vjp(ln2, ffn_vjp(tape, layer, g));
      return g_mid + norm_vjp(ln1, attention_vjp(tape, layer, g_mid, g_attention));
    }
    case Topology::Parallel:
      return g + norm_vjp(ln1, attention_vjp(tape, layer, g, g_attention)) + norm_vjp(ln2, ffn_vjp(tape, layer, g));
    case Topology::PostNorm: {
      const MatD g_s2 = norm_vjp(ln2, g);
      const MatD g_s1 = norm_vjp(ln1, g_s2 + ffn_vjp(tape, layer, g_s2));
      return g_s1 + attention_vjp(tape, layer, g_s1, g_attention);
    }
  }
  TL_ASSERT(false, "block_vjp: unknown topology");
  return MatD();
}

void hidden_states_jvp(const Tape& tape, const MatD& d_input, InputVariable wrt,
                       const std::function<void(int, const MatD&)>& visit, int first_row) {
  const int L = tape.num_layers();
  MatD d = wrt == InputVariable::TokenEmbeddings ? embeddings_jvp(tape, d_input, first_row) : d_input;
  visit(0, d);
  for (int l = 1; l <= L; ++l) {
    d = block_jvp(tape, l, d, first_row);
    visit(l, d);
  }
  visit(L + 1, final_norm_jvp(tape, d, first_row));
}

MatD final_hidden_jvp(const Tape& tape, const MatD& d_input, InputVariable wrt, int first_row) {
  MatD last;
  hidden_states_jvp(
      tape, d_input, wrt,
      [&](int l, const MatD& d) {
        if (l == tape.num_layers() + 1) last = d;
      },
      first_row);
  return last;
}

Gradients hidden_states_vjp(const Tape& tape, const std::vector<MatD>& seeds, bool with_attention) {
  const int L = tape.num_layers();
  Eigen::Index rows = 0;
  for (const MatD& s : seeds) {
    if (s.size()) rows = s.rows();
  }
  TL_ASSERT(rows > 0, "hidden_states_vjp: every seed is empty");
  auto seed = [&](int l) -> const MatD* {
    if (size_t(l) >= seeds.size() || seeds[size_t(l)].size() == 0) return nullptr;
    TL_ASSERT(seeds[size_t(l)].rows() == rows, "hidden_states_vjp: seeds of different batch sizes");
    return &seeds[size_t(l)];
  };
  Gradients out;
  if (with_attention) out.attention.resize(size_t(L));
  MatD g = seed(L + 1) ? final_norm_vjp(tape, *seed(L + 1)) : MatD::Zero(rows, tape.hidden_size());
  for (int l = L; l >= 1; --l) {
    if (seed(l)) g += *seed(l);
    g = block_vjp(tape, l, g, with_attention ? &out.attention[size_t(l - 1)] : nullptr);
  }
  if (seed(0)) g += *seed(0);
  out.token_embeddings = embeddings_vjp(tape, g);
  out.embeddings = std::move(g);
  return out;
}

VecD logit_direction(const Tape& tape, int position, int token) {
  const ModelSpec& s = tape.spec();
  const Weights& w = tape.model().weights;
  TL_ASSERT(position >= 0 && position < tape.num_tokens(), "logit_direction: position outside the sentence");
  TL_ASSERT(token >= 0 && token < s.vocab_size, "logit_direction: token id outside the vocabulary");
  if (!s.mlm_head) return w.unembedding().row(token).transpose().cast<double>();
  // logit = E[token] . LN(act(pre)) + bias, pre = h Wd + bd: back through the head for one row.
  const Trace& t = tape.trace();
  const Activation act = s.mlm_activation;
  const MatD pre = t.mlm_pre.row(position);
  const MatD ln_input = pre.cwiseProduct(t.mlm_ratio.row(position));
  const VecD inv_scale = t.mlm_inv_scale.segment(position, 1);
  const NormPoint ln{NormKind::LayerNorm, &ln_input, &inv_scale, &tape.mlm_norm_gamma()};
  MatD g = detail::norm_vjp(ln, MatD(w.token_embedding.row(token).cast<double>()));
  g = g.cwiseProduct(detail::activation_derivative(act, pre));
  return (g * tape.mlm_dense().transpose()).transpose();
}

Gradients logits_vjp(const Tape& tape, const std::vector<std::pair<int, int>>& position_token, bool with_attention) {
  const Eigen::Index n = tape.num_tokens();
  MatD seed = MatD::Zero(Eigen::Index(position_token.size()) * n, tape.hidden_size());
  for (size_t b = 0; b < position_token.size(); ++b) {
    const auto [position, token] = position_token[b];
    seed.row(Eigen::Index(b) * n + position) = logit_direction(tape, position, token).transpose();
  }
  std::vector<MatD> seeds(size_t(tape.num_layers() + 2));
  seeds.back() = std::move(seed);
  return hidden_states_vjp(tape, seeds, with_attention);
}

}  // namespace tl::autodiff

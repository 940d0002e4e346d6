#include "core/lens/operator.h"

#include "core/util/assert.h"

namespace tl::lens {

const char* to_string(GatedFfn g) {
  switch (g) {
    case GatedFfn::Gate: return "gate";
    case GatedFfn::Up: return "up";
    case GatedFfn::Symmetric: return "symmetric";
  }
  return "?";
}

const char* to_string(InputEnd e) {
  switch (e) {
    case InputEnd::ResidualStream: return "residual";
    case InputEnd::TokenEmbeddings: return "tokens";
  }
  return "?";
}

int TokenStep::width() const { return w_in.size() ? static_cast<int>(w_in.cols()) : static_cast<int>(bias.cols()); }

namespace {

// Row vector [1, n] of a float vector, or zeros when the vector is empty (no bias).
Eigen::RowVectorXd row_or_zero(const VecF& v, Eigen::Index n) {
  if (v.size() == 0) return Eigen::RowVectorXd::Zero(n);
  return v.cast<double>().transpose();
}

// A LayerNorm/RMSNorm as a TokenStep (no residual): LayerNorm is dense C diag(gamma); RMSNorm is
// diagonal, so it becomes per-token column scales (no product needed).
TokenStep norm_step(NormKind kind, const NormWeights& w, const VecD& inv_scale, int n_tok) {
  const int d = static_cast<int>(w.gamma.size());
  TokenStep s;
  s.scale = inv_scale;
  if (kind == NormKind::LayerNorm) {
    s.w_in = fold_norm(kind, w.gamma, MatD());
  } else {
    s.coef = w.gamma.cast<double>().transpose().replicate(n_tok, 1);
  }
  s.bias = row_or_zero(w.beta, d).replicate(n_tok, 1);
  return s;
}

Status check_shape(const MatD& m, Eigen::Index rows, Eigen::Index cols, const std::string& what) {
  if (m.rows() != rows || m.cols() != cols) {
    return make_error("trace: " + what + " is " + std::to_string(m.rows()) + "x" + std::to_string(m.cols()) +
                      ", expected " + std::to_string(rows) + "x" + std::to_string(cols));
  }
  return Status::Ok();
}

Status check_vec(const VecD& v, Eigen::Index n, const std::string& what) {
  if (v.size() != n) {
    return make_error("trace: " + what + " has " + std::to_string(v.size()) + " entries, expected " +
                      std::to_string(n));
  }
  return Status::Ok();
}

}  // namespace

void fold_norm_in_place(NormKind kind, const VecF& gamma, MatD& w) {
  w = gamma.cast<double>().asDiagonal() * w;
  if (kind == NormKind::LayerNorm) {
    // C M = M - 1 mean_rows(M): centring, without forming C.
    const Eigen::RowVectorXd mean = w.colwise().mean();
    w.rowwise() -= mean;
  }
}

MatD fold_norm(NormKind kind, const VecF& gamma, const MatD& w) {
  MatD p = w.size() ? w : MatD::Identity(gamma.size(), gamma.size());
  fold_norm_in_place(kind, gamma, p);
  return p;
}

Status fill_block_operator(const Model& model, const Trace& trace, int layer, GatedFfn gated, BlockOperator& op) {
  const ModelSpec& spec = model.spec;
  if (layer < 1 || layer > trace.num_layers() || layer > static_cast<int>(model.weights.blocks.size())) {
    return make_error("lens: block " + std::to_string(layer) + " out of range 1.." + std::to_string(trace.num_layers()));
  }
  const BlockTrace& bt = trace.blocks[layer - 1];
  const BlockWeights& bw = model.weights.blocks[layer - 1];
  const int n = trace.num_tokens();
  const int d = spec.hidden_size;
  const int h = spec.num_heads, kv = spec.num_kv_heads, hd = spec.head_dim;
  const std::string where = "block " + std::to_string(layer) + " ";

  // The coefficients this block freezes must be in the trace with the model's shapes.
  const int f = spec.intermediate_size;
  for (auto st : {check_shape(bt.input, n, d, where + "input"), check_vec(bt.ln1_inv_scale, n, where + "ln1 scale"),
                  check_vec(bt.ln2_inv_scale, n, where + "ln2 scale"), check_shape(bt.ffn_ratio, n, f, where + "ffn ratio"),
                  check_shape(bt.ffn_pre, n, f, where + "ffn pre-activation")}) {
    if (!st) return st.error();
  }
  if (spec.gated_ffn) {
    if (auto st = check_shape(bt.ffn_up, n, f, where + "ffn up"); !st) return st.error();
  }
  if (static_cast<int>(bt.attn_probs.size()) != h) {
    return make_error("trace: " + where + "has " + std::to_string(bt.attn_probs.size()) + " attention heads, expected " +
                      std::to_string(h));
  }

  // Every matrix is assigned into `op`'s existing storage (same shapes block after block), so
  // rebuilding a block reuses memory instead of faulting in fresh pages.
  op.layer = layer;
  op.topology = spec.topology;
  const bool post = spec.topology == Topology::PostNorm;
  const bool layer_norm = spec.norm == NormKind::LayerNorm;

  // ---- attention ----
  AttentionOperator& at = op.attention;
  at.shape = HeadShape{h, kv, hd};
  at.w_v = bw.attn.v.W.cast<double>();
  Eigen::RowVectorXd v_bias = row_or_zero(bw.attn.v.b, kv * hd);
  if (post) {
    at.pre_scale.resize(0);
  } else {
    if (layer_norm && bw.ln1.beta.size()) v_bias += bw.ln1.beta.cast<double>().transpose() * at.w_v;
    fold_norm_in_place(spec.norm, bw.ln1.gamma, at.w_v);
    at.pre_scale = bt.ln1_inv_scale;
  }
  at.probs.resize(std::int64_t(h) * n, n);
  for (int hh = 0; hh < h; ++hh) {
    if (auto st = check_shape(bt.attn_probs[hh], n, n, where + "attention probabilities"); !st) return st.error();
    at.probs.middleRows(std::int64_t(hh) * n, n) = bt.attn_probs[hh];
  }
  at.w_o = bw.attn.o.W.cast<double>();
  // Affine part: the value bias mixed by A (rows of A sum to 1 except where fully masked, so mix
  // it exactly), then the output projection and its bias.
  MatD ctx_bias = MatD::Zero(n, std::int64_t(h) * hd);
  for (int hh = 0; hh < h; ++hh) {
    const int g = hh / (h / kv);
    const VecD rowsum = bt.attn_probs[hh].rowwise().sum();
    ctx_bias.middleCols(std::int64_t(hh) * hd, hd) = rowsum * v_bias.segment(std::int64_t(g) * hd, hd);
  }
  at.bias.noalias() = ctx_bias * at.w_o;
  at.bias.rowwise() += row_or_zero(bw.attn.o.b, d);

  // ---- FFN: which factor stays linear and what is frozen (docs/TENSORLENS.md §2) ----
  op.steps.resize(post ? 3 : 1);
  TokenStep& ffn = op.steps[post ? 1 : 0];
  ffn.residual = true;
  Eigen::RowVectorXd b1;
  const GatedFfn option = spec.gated_ffn ? gated : GatedFfn::Gate;
  if (!spec.gated_ffn) {
    ffn.w_in = bw.ffn.up.W.cast<double>();
    b1 = row_or_zero(bw.ffn.up.b, f);
    ffn.coef = bt.ffn_ratio;
  } else if (option == GatedFfn::Gate) {  // G = act(z_g) = z_g Phi(z_g) frozen
    ffn.w_in = bw.ffn.up.W.cast<double>();
    b1 = row_or_zero(bw.ffn.up.b, f);
    ffn.coef = bt.ffn_pre.cwiseProduct(bt.ffn_ratio);
  } else if (option == GatedFfn::Up) {  // Phi(z_g) and U frozen
    ffn.w_in = bw.ffn.gate.W.cast<double>();
    b1 = row_or_zero(bw.ffn.gate.b, f);
    ffn.coef = bt.ffn_ratio.cwiseProduct(bt.ffn_up);
  } else {  // the mean of both: [Wu | Wg], coefficients halved, Wd stacked twice
    ffn.w_in.resize(d, 2 * f);
    ffn.w_in.leftCols(f) = bw.ffn.up.W.cast<double>();
    ffn.w_in.rightCols(f) = bw.ffn.gate.W.cast<double>();
    b1.resize(2 * f);
    b1 << row_or_zero(bw.ffn.up.b, f), row_or_zero(bw.ffn.gate.b, f);
    ffn.coef.resize(n, 2 * f);
    ffn.coef.leftCols(f) = 0.5 * bt.ffn_pre.cwiseProduct(bt.ffn_ratio);
    ffn.coef.rightCols(f) = 0.5 * bt.ffn_ratio.cwiseProduct(bt.ffn_up);
  }
  if (option == GatedFfn::Symmetric && spec.gated_ffn) {
    ffn.w_out.resize(2 * f, d);
    ffn.w_out.topRows(f) = bw.ffn.down.W.cast<double>();
    ffn.w_out.bottomRows(f) = bw.ffn.down.W.cast<double>();
  } else {
    ffn.w_out = bw.ffn.down.W.cast<double>();
  }
  if (post) {
    ffn.scale.resize(0);
  } else {
    if (layer_norm && bw.ln2.beta.size()) b1 += bw.ln2.beta.cast<double>().transpose() * ffn.w_in;
    fold_norm_in_place(spec.norm, bw.ln2.gamma, ffn.w_in);
    ffn.scale = bt.ln2_inv_scale;
  }
  ffn.bias.noalias() = (ffn.coef.array().rowwise() * b1.array()).matrix() * ffn.w_out;
  ffn.bias.rowwise() += row_or_zero(bw.ffn.down.b, d);

  if (post) {
    op.steps[0] = norm_step(spec.norm, bw.ln1, bt.ln1_inv_scale, n);
    op.steps[2] = norm_step(spec.norm, bw.ln2, bt.ln2_inv_scale, n);
  }
  return Status::Ok();
}

Result<BlockOperator> build_block_operator(const Model& model, const Trace& trace, int layer, GatedFfn gated) {
  BlockOperator op;
  if (auto st = fill_block_operator(model, trace, layer, gated, op); !st) return st.error();
  return op;
}

Result<LensSegment> build_segment(const Model& model, const Trace& trace, int first, int last, bool through_final_norm,
                                  InputEnd input) {
  const ModelSpec& spec = model.spec;
  const int n = trace.num_tokens();
  const int d = spec.hidden_size;
  const int layers = trace.num_layers();
  if (layers != spec.num_layers) {
    return make_error("lens: the trace has " + std::to_string(layers) + " blocks, the model " +
                      std::to_string(spec.num_layers));
  }
  if (n < 1) return make_error("lens: the trace has no tokens");
  if (first < 1 || last > layers || first > last) {
    return make_error("lens: blocks " + std::to_string(first) + ".." + std::to_string(last) + " outside 1.." +
                      std::to_string(layers));
  }
  if (through_final_norm && last != layers) return make_error("lens: the final norm follows block L only");

  LensSegment seg;
  seg.first_layer = first;
  seg.last_layer = last;
  seg.num_tokens = n;
  seg.hidden = d;

  if (input == InputEnd::ResidualStream) {
    seg.inputs = trace.blocks[first - 1].input;
  } else {
    if (first != 1) return make_error("lens: the token-embedding input end needs a segment starting at block 1");
    if (auto st = check_shape(trace.token_embeddings, n, d, "token embeddings"); !st) return st.error();
    if (auto st = check_shape(trace.embedding_sum, n, d, "embedding sum"); !st) return st.error();
    seg.inputs = trace.token_embeddings;
    // Positions and segments (everything in the embedding sum that is not the token row) are bias.
    TokenStep others;
    others.bias = trace.embedding_sum - trace.token_embeddings;
    seg.prologue.push_back(std::move(others));
    if (spec.embedding_norm) {
      if (auto st = check_vec(trace.embedding_inv_scale, n, "embedding norm scale"); !st) return st.error();
      seg.prologue.push_back(norm_step(NormKind::LayerNorm, model.weights.embedding_norm, trace.embedding_inv_scale, n));
    }
  }
  if (auto st = check_shape(seg.inputs, n, d, "segment input"); !st) return st.error();

  if (through_final_norm && spec.final_norm) {
    if (auto st = check_vec(trace.final_inv_scale, n, "final norm scale"); !st) return st.error();
    seg.epilogue.push_back(norm_step(spec.norm, model.weights.final_norm, trace.final_inv_scale, n));
  }
  seg.expected_output = through_final_norm ? trace.final_hidden : trace.blocks[last - 1].output;
  return seg;
}

// ---- Plain double application (reference for tests, fused biases) ----------------------------

MatD apply_steps_reference(const std::vector<TokenStep>& steps, const MatD& x, bool add_bias) {
  MatD s = x;
  for (const TokenStep& st : steps) {
    MatD z = st.w_in.size() ? MatD(s * st.w_in) : s;
    if (st.scale.size()) z = st.scale.asDiagonal() * z;
    if (st.coef.size()) z = z.cwiseProduct(st.coef);
    if (st.residual) {
      s += z * st.w_out;
    } else {
      TL_ASSERT(st.w_out.size() == 0, "apply_steps: a non-residual step has an output matrix");
      s = std::move(z);
    }
    if (add_bias && st.bias.size()) s += st.bias;
  }
  return s;
}

MatD apply_block_reference(const BlockOperator& block, const MatD& x, bool add_bias) {
  const AttentionOperator& at = block.attention;
  const int n = static_cast<int>(x.rows());
  const int hd = at.shape.head_dim;
  MatD v = x * at.w_v;
  if (at.pre_scale.size()) v = at.pre_scale.asDiagonal() * v;
  MatD ctx = MatD::Zero(n, std::int64_t(at.shape.heads) * hd);
  for (int h = 0; h < at.shape.heads; ++h) {
    const int g = h / (at.shape.heads / at.shape.kv_heads);
    ctx.middleCols(std::int64_t(h) * hd, hd) =
        at.probs.middleRows(std::int64_t(h) * n, n) * v.middleCols(std::int64_t(g) * hd, hd);
  }
  MatD attn = ctx * at.w_o;
  if (add_bias) attn += at.bias;
  if (block.topology == Topology::Parallel) return apply_steps_reference(block.steps, x, add_bias) + attn;
  return apply_steps_reference(block.steps, x + attn, add_bias);
}

}  // namespace tl::lens

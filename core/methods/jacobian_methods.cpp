// True Jacobian maps: ||dh_i / dx_j||_F per layer (block alone), up to a layer and end to end,
// the D x D block of one pair, and hidden token attribution (Brunner et al. 2020: the same norms,
// rows normalised). Computed exactly by forward mode: one batched Jacobian-vector product per
// chunk of input directions (token j, feature e) gives column (j, e) of every stage at once.
#include <algorithm>
#include <map>
#include <string>

#include "core/autodiff/derivatives.h"
#include "core/methods/method_impls.h"
#include "core/methods/registry.h"

namespace tl::methods {
namespace {

using Eigen::MatrixXd;

// Directions per batched product: keeps the widest intermediate ([B*N, max(D, F, H*hd)] doubles)
// near 16 MB (small chunks also keep progress reports frequent).
int directions_per_chunk(const ModelSpec& s, int n) {
  const long widest = std::max({s.hidden_size, s.intermediate_size, s.num_heads * s.head_dim});
  const long budget = 2L << 20;  // doubles
  return int(std::clamp(budget / (long(n) * widest), 1L, long(s.hidden_size)));
}

// Causal models: the tangents of input token j live on rows j..N-1 only (row windows,
// core/autodiff/derivatives.h), about half the work; encoders use every row.
int window_start(const MethodCall& call, int token) { return call.spec().causal ? token : 0; }

// Tangents of `count` unit directions at row `row` of an m-row window (features
// first..first+count-1), stacked [count * m, width].
MatrixXd unit_directions(int m, int width, int row, int first, int count) {
  MatrixXd d = MatrixXd::Zero(Eigen::Index(count) * m, width);
  for (int b = 0; b < count; ++b) d(Eigen::Index(b) * m + row, first + b) = 1.0;
  return d;
}

// Sum over directions and output features of the squared window tangents, per output token
// (`column` holds the window's rows).
void accumulate_squares(const MatrixXd& tangents, Eigen::Ref<Eigen::VectorXd> column) {
  const Eigen::Index m = column.size();
  for (Eigen::Index b = 0; b < tangents.rows() / m; ++b) column += tangents.middleRows(b * m, m).rowwise().squaredNorm();
}

autodiff::InputVariable input_variable(const MethodCall& call) {
  return call.option_string("wrt", "embeddings") == "tokens" ? autodiff::InputVariable::TokenEmbeddings
                                                               : autodiff::InputVariable::Embeddings;
}

// Calls product(j, first, count, f, m) for every chunk of input directions: token j, features
// first..first+count-1, tangents on the window rows f..N-1 (m rows). Progress is reported in
// proportion to the work done (a chunk costs about count * m rows of products), so a caller that
// stops early can extrapolate.
template <class Product>
void for_each_direction_chunk(const MethodCall& call, const std::string& what, Product product) {
  const int n = call.n(), D = call.spec().hidden_size, chunk = directions_per_chunk(call.spec(), n);
  double total = 0, done = 0;
  for (int j = 0; j < n; ++j) total += double(n - window_start(call, j)) * D;
  for (int j = 0; j < n; ++j) {
    const int f = window_start(call, j), m = n - f;
    for (int first = 0; first < D; first += chunk) {
      call.step(done / total, what + "input token " + std::to_string(j + 1) + "/" + std::to_string(n));
      const int count = std::min(chunk, D - first);
      product(j, first, count, f, m);
      done += double(count) * m;
    }
  }
}

// Frobenius norms ||d stage_s[i] / d input[j]||_F for each wanted stage (0..L+1).
std::map<int, MatrixXd> cumulative_norms(const MethodCall& call, const autodiff::Tape& tape, const std::vector<int>& stages) {
  const int n = call.n(), D = call.spec().hidden_size;
  std::map<int, MatrixXd> squares;
  for (int s : stages) squares[s] = MatrixXd::Zero(n, n);
  for_each_direction_chunk(call, "", [&](int j, int first, int count, int f, int m) {
    autodiff::hidden_states_jvp(
        tape, unit_directions(m, D, j - f, first, count), input_variable(call),
        [&](int stage, const MatrixXd& t) {
          if (auto it = squares.find(stage); it != squares.end()) accumulate_squares(t, it->second.col(j).tail(m));
        },
        f);
  });
  for (auto& [s, m] : squares) m = m.cwiseSqrt();
  return squares;
}

// Block-local norms ||d out_l[i] / d in_l[j]||_F.
MatrixXd block_norms(const MethodCall& call, const autodiff::Tape& tape, int layer) {
  const int n = call.n(), D = call.spec().hidden_size;
  MatrixXd squares = MatrixXd::Zero(n, n);
  for_each_direction_chunk(call, "block " + std::to_string(layer) + ", ", [&](int j, int first, int count, int f, int m) {
    accumulate_squares(autodiff::block_jvp(tape, layer, unit_directions(m, D, j - f, first, count), f), squares.col(j).tail(m));
  });
  return squares.cwiseSqrt();
}

// The stage a cumulative request ends at: UpTo(l) -> block l's output, EndToEnd -> after the final norm.
int stage_of(const MethodCall& call, int layer) {
  return call.req.scope == Scope::EndToEnd ? call.layers() + 1 : layer;
}

Result<MethodOutput> jacobian_pair(const MethodCall& call, const autodiff::Tape& tape) {
  const auto [i, j] = *call.req.pair;
  const int n = call.n(), D = call.spec().hidden_size;
  if (i < 0 || i >= n || j < 0 || j >= n) {
    return make_error("jacobian: pair (" + std::to_string(i) + ", " + std::to_string(j) + ") is outside the " +
                      std::to_string(n) + " tokens");
  }
  if (call.req.scope != Scope::EndToEnd && (call.req.layer < 1 || call.req.layer > call.layers())) {
    return make_error("jacobian: the pair block needs one layer in 1.." + std::to_string(call.layers()));
  }
  MatrixXd block = MatrixXd::Zero(D, D);  // block(d, e) = d out_i[d] / d in_j[e]; 0 when causal and i < j
  const int chunk = directions_per_chunk(call.spec(), n), f = window_start(call, j), rows = n - f;
  for (int first = 0; i >= f && first < D; first += chunk) {
    call.step(double(first) / D, "input features " + std::to_string(first) + "/" + std::to_string(D));
    const int count = std::min(chunk, D - first);
    const MatrixXd directions = unit_directions(rows, D, j - f, first, count);
    MatrixXd out;
    if (call.req.scope == Scope::Block) {
      out = autodiff::block_jvp(tape, call.req.layer, directions, f);
    } else {
      const int stage = stage_of(call, call.req.layer);
      autodiff::hidden_states_jvp(
          tape, directions, input_variable(call),
          [&](int s, const MatrixXd& t) {
            if (s == stage) out = t;
          },
          f);
    }
    for (int b = 0; b < count; ++b) block.col(first + b) = out.row(Eigen::Index(b) * rows + (i - f)).transpose();
  }
  MethodOutput result;
  Map m = make_map(call, block, layers_label(call.req.scope, call.req.layer, call.layers()), true);
  m.row_labels.clear();
  m.col_labels.clear();
  for (int d = 0; d < D; ++d) {
    m.row_labels.push_back("out " + std::to_string(d));
    m.col_labels.push_back("in " + std::to_string(d));
  }
  m.provenance.options["pair"] = {i, j};
  result.maps.push_back(std::move(m));
  result.block = std::move(block);
  return result;
}

}  // namespace

Result<MethodOutput> run_jacobian(const MethodCall& call) {
  if (Status st = check_layer(call, true); !st) return st.error();
  const autodiff::Tape tape(call.model(), call.trace(), derivative_weights(call));
  if (call.req.pair) return jacobian_pair(call, tape);
  MethodOutput out;
  const std::vector<int> layers = requested_layers(call);
  if (call.req.scope == Scope::Block) {
    for (int l : layers) out.maps.push_back(make_map(call, block_norms(call, tape, l), layers_label(Scope::Block, l, call.layers()), false));
    return out;
  }
  std::vector<int> stages;
  for (int l : layers) stages.push_back(stage_of(call, l));
  const auto norms = cumulative_norms(call, tape, stages);
  for (int l : layers) out.maps.push_back(make_map(call, norms.at(stage_of(call, l)), layers_label(call.req.scope, l, call.layers()), false));
  return out;
}

Result<MethodOutput> run_hidden_token_attribution(const MethodCall& call) {
  if (Status st = check_layer(call, true); !st) return st.error();
  const autodiff::Tape tape(call.model(), call.trace(), derivative_weights(call));
  // Always cumulative (hidden state l against the input); a Layer request means the same as UpTo.
  const std::vector<int> layers = requested_layers(call);
  std::vector<int> stages;
  for (int l : layers) stages.push_back(stage_of(call, l));
  const auto norms = cumulative_norms(call, tape, stages);
  MethodOutput out;
  for (int l : layers) {
    const Scope scope = call.req.scope == Scope::EndToEnd ? Scope::EndToEnd : Scope::Through;
    out.maps.push_back(make_map(call, row_normalised(norms.at(stage_of(call, l))), layers_label(scope, l, call.layers()), false));
  }
  return out;
}

}  // namespace tl::methods

#pragma once
// TensorLens analysis: the one entry point for callers (CLI, GUI). Given a model, a Trace of one
// forward pass and a request, computes N x N maps (docs/TENSORLENS.md §3), the D x D block of one
// pair, or an estimate of what either would cost, without ever holding the 4D tensor unless it
// fits the memory budget.
//
// Conventions (the same in the CLI, the GUI and the tests):
// - Blocks are numbered 1..L. ScopeAt::block(l): block l alone, from the hidden state entering
//   it to its output. ScopeAt::through(l): blocks 1..l. ScopeAt::end_to_end(): blocks 1..L and
//   the family's final norm (GPT-2 ln_f, NeoX final_layer_norm, Llama norm; BERT/RoBERTa have
//   none), i.e. up to the last hidden state Hugging Face returns.
// - Map rows are output tokens i, columns input tokens j.
// - The Out direction w_i (tensorlens-out, tensorlens-in-out) is the unembedding row of the target
//   token at position i: MapRequest::target_token, or by default position i's argmax token of the
//   trace's logits. For BERT/RoBERTa it is the MLM head linearised at the operating point:
//   w_i = W_dense diag(Phi_i) (C diag(gamma) e_v) / sigma_i, e_v the decoder row. The same w_i
//   (from the final logits) is used for every scope.
// - Bias part (Map::bias, one value per row): the accumulated biases c_i of the operator
//   (T[X] + c = the hidden states). tensorlens / tensorlens-in: ||c_i||. tensorlens-out /
//   tensorlens-in-out: w_i . c_i plus the output's own constant (LM-head bias, or the MLM head's
//   affine part), so that for tensorlens-in-out, sum_j M[i, j] + bias[i] = the logit of the
//   target at position i (end to end; for shorter scopes, the target's logit-lens score w_i . h_i
//   + its constant, without the final norm).
//
// Cancellation: computations poll Progress::cancelled() between blocks and throw tl::Cancelled
// (core/util/progress.h), which the caller catches at its job boundary.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/backend/backend.h"
#include "core/forward/trace.h"
#include "core/lens/map.h"
#include "core/lens/scope.h"
#include "core/lens/operator.h"
#include "core/model/model.h"
#include "core/util/progress.h"
#include "core/util/result.h"

namespace tl::lens {

enum class LensMethod {
  TensorLens,  // "tensorlens":        ||T[i,:,j,:]||_F
  In,          // "tensorlens-in":     ||sum_e T[i,:,j,e] x_j[e]||_2
  Out,         // "tensorlens-out":    ||sum_d w_i[d] T[i,d,j,:]||_2
  InOut,       // "tensorlens-in-out": sum_{d,e} w_i[d] T[i,d,j,e] x_j[e] (signed)
};
const char* to_string(LensMethod m);
Result<LensMethod> parse_lens_method(std::string_view name);
bool uses_inputs(LensMethod m);      // In, InOut
bool uses_direction(LensMethod m);   // Out, InOut


// How the engine computes (docs/TENSORLENS.md §4). All are exact and give the same maps.
enum class Strategy {
  Auto,             // the planner's choice under the memory budget
  Full,             // all column slices at once: the whole tensor (causal half) in memory
  ColumnSlices,     // forward, batches of source tokens j (identity at j), as many as fit
  InputContracted,  // forward, x_j at j (plus a bias row): In and InOut only
  RowSlices,        // adjoint, per output token i (w_i, or the identity for TensorLens/In)
};
const char* to_string(Strategy s);
Result<Strategy> parse_strategy(std::string_view name);

// Whether the per-token factors of a block are fused into one D x D matrix per token (propagate.h).
enum class Fusion { Auto, On, Off };

struct MapRequest {
  LensMethod method = LensMethod::TensorLens;
  ScopeAt scope;
  int target_token = -1;  // Out direction token id for every position; -1 = each position's argmax
  GatedFfn gated = GatedFfn::Gate;
  InputEnd input = InputEnd::ResidualStream;
  Strategy strategy = Strategy::Auto;
  int batch = 0;                 // tokens per pass (0 = the planner's choice), overrides for tests/benchmarks
  Fusion fusion = Fusion::Auto;  // likewise
  std::int64_t memory_budget = std::int64_t(2) << 30;  // bytes the engine may hold at once
  Precision precision = Precision::Float32;            // engine arithmetic (Float64: test mode)
  std::vector<std::string> token_labels;               // row/column labels; empty = "#<id>"
};

struct Estimate {
  Strategy strategy = Strategy::Auto;  // the one that would run
  std::int64_t peak_bytes = 0;         // engine memory at peak (states, scratch, factors)
  double flops = 0;                    // multiply-adds x 2
  double seconds = 0;                  // flops at the backend's nominal throughput
  int passes = 0;                      // propagations (batches)
  int sources_per_pass = 0;            // source (or output) tokens per batch
  bool fused = false;                  // per-token fused factors K_n
  std::string summary() const;         // one line
};

// What compute_map would do and cost. Error when nothing fits the budget (the message contains
// the smallest estimate) or when the request is invalid.
Result<Estimate> estimate(const Model& model, const Trace& trace, const MapRequest& request,
                          const Backend* backend = nullptr);

Result<Map> compute_map(const Model& model, const Trace& trace, const MapRequest& request, Backend& backend,
                        Progress* progress = nullptr);

// Every layer at once: Cumulative gives through(1), ..., through(L), then end_to_end() when the
// family has a final norm; PerBlock gives block(1), ..., block(L). request.scope is ignored.
// Forward strategies compute a cumulative series in one pass.
enum class Series { Cumulative, PerBlock };
Result<std::vector<Map>> compute_map_series(const Model& model, const Trace& trace, const MapRequest& request,
                                            Series series, Backend& backend, Progress* progress = nullptr);
Result<Estimate> estimate_series(const Model& model, const Trace& trace, const MapRequest& request, Series series,
                                 const Backend* backend = nullptr);

// ---- The D x D block of one pair (the "Jacobian view") ------------------------------------------

struct PairBlockRequest {
  int output_token = 0;  // i
  int input_token = 0;   // j
  ScopeAt scope;
  GatedFfn gated = GatedFfn::Gate;
  InputEnd input = InputEnd::ResidualStream;
  Precision precision = Precision::Float32;
  std::int64_t memory_budget = std::int64_t(2) << 30;
  int directions = 5;   // singular directions to decode
  int top_tokens = 10;  // tokens per direction and sign
};

struct SingularDirection {
  double value = 0;
  VecD output;  // [D] left singular vector u (output feature space)
  VecD input;   // [D] right singular vector v (input feature space); block * v = value * u
  // Decoded through the unembedding U [V, D] (logit-lens style for scopes before the final norm):
  // scores U u. `push` = highest (tokens that +u, hence
  // +v at the input, pushes toward), `pull` = lowest (what -v pushes toward). Pairs (id, score).
  std::vector<std::pair<int, double>> push, pull;
};

struct PairBlock {
  MatD block;            // [D, D]: block(d, e) = T[i, d, j, e]
  VecD singular_values;  // descending
  std::vector<SingularDirection> directions;
  Provenance provenance;
};

Result<PairBlock> compute_pair_block(const Model& model, const Trace& trace, const PairBlockRequest& request,
                                     Backend& backend, Progress* progress = nullptr);

}  // namespace tl::lens

#pragma once
// Derivatives of the forward pass for every family, forward mode (Jacobian-vector products) and
// reverse mode (vector-Jacobian products), with the Trace as the tape (see tape.h).
//
// Batching: B directions of an [N, W] quantity are stacked as rows b*N + i of a [B*N, W] matrix;
// every function takes and returns stacked matrices (B = 1 is a plain [N, W] matrix).
//
// Stages: 0 = hidden_state(0), the residual stream entering block 1; s = 1..L: the output of
// block s (blocks[s-1].output, before any final norm); s = L + 1: after the final norm (the Hugging
// Face last hidden state, Trace::final_hidden; the same values as stage L without a final norm).
// Block `layer` (1..L) maps stage layer - 1 to stage layer.
//
// The input variable is either the token-embedding rows (Hugging Face `inputs_embeds`: position
// and token-type embeddings are constants, BERT/RoBERTa's embedding LayerNorm is differentiated)
// or hidden_state(0), the residual stream entering block 1 (the input X of the TensorLens operator).
//
// Row windows (forward mode, causal models): with first_row > 0 every direction holds only rows
// first_row..N-1, stacked [B*(N - first_row), W]; the rows before are zero and stay zero because
// no token attends to a later one. Tangents that start at token j run with first_row = j, about
// half the work of a Jacobian map. Encoders need first_row = 0.
#include <functional>
#include <utility>
#include <vector>

#include "core/autodiff/tape.h"

namespace tl::autodiff {

enum class InputVariable { TokenEmbeddings, Embeddings };

// ---- Pieces (forward mode and their transposes) ---------------------------------------------------

MatD embeddings_jvp(const Tape& tape, const MatD& d_token_rows, int first_row = 0);  // -> hidden_state(0)
MatD embeddings_vjp(const Tape& tape, const MatD& g_embeddings);  // -> cotangent of the token rows
MatD block_jvp(const Tape& tape, int layer, const MatD& d_input, int first_row = 0);
// g_attention (optional): per head, the cotangent of the block's attention probabilities [B*N, N].
MatD block_vjp(const Tape& tape, int layer, const MatD& g_output, std::vector<MatD>* g_attention = nullptr);
// Final norm (identity for families without one): between blocks[L-1].output and hidden_state(L).
MatD final_norm_jvp(const Tape& tape, const MatD& d_last_block, int first_row = 0);
MatD final_norm_vjp(const Tape& tape, const MatD& g_final_hidden);

// ---- Whole model, forward mode --------------------------------------------------------------------

// Propagates tangents of the input through every block and calls visit(s, tangent of stage s)
// for s = 0..L+1 in order (tangents are not kept, so memory stays at one layer).
void hidden_states_jvp(const Tape& tape, const MatD& d_input, InputVariable wrt,
                       const std::function<void(int stage, const MatD& tangent)>& visit, int first_row = 0);
// Tangent of stage L + 1 (after the final norm) only.
MatD final_hidden_jvp(const Tape& tape, const MatD& d_input, InputVariable wrt, int first_row = 0);

// ---- Whole model, reverse mode --------------------------------------------------------------------

struct Gradients {
  MatD token_embeddings;  // [B*N, D] cotangent of the token-embedding rows
  MatD embeddings;        // [B*N, D] cotangent of hidden_state(0)
  // When asked for: attention[layer - 1][head], the cotangent of that head's probabilities [B*N, N].
  std::vector<std::vector<MatD>> attention;
};

// seeds[s] (stage s = 0..L+1) is a cotangent of that stage, [B*N, D], or empty for none.
// Missing trailing entries count as empty.
Gradients hidden_states_vjp(const Tape& tape, const std::vector<MatD>& seeds, bool with_attention = false);

// d logits[position, token] / d final_hidden[position, :] ([D]): the unembedding row for
// decoders; back through the masked-LM head (dense, GELU, LayerNorm, tied decoder) for BERT/RoBERTa.
VecD logit_direction(const Tape& tape, int position, int token);

// Gradients of B logits, one per (position, token) pair, stacked in that order.
Gradients logits_vjp(const Tape& tape, const std::vector<std::pair<int, int>>& position_token,
                     bool with_attention = false);

}  // namespace tl::autodiff

// tensorlens-cli forward --dump DIR: every internal activation as .npy, same conventions as the
// Hugging Face references (hidden_states entry 0 = embedding output, last = after the final norm).
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/cli/cli_common.h"
#include "core/io/file_util.h"
#include "core/io/npy.h"

namespace tl::cli {

namespace {

const char* const kDumpFiles[] = {"hidden_states.npy", "attentions.npy", "logits.npy", "tokens.json"};

void save(const std::filesystem::path& p, std::vector<std::int64_t> shape, const std::vector<double>& data,
          NpyType type, Overwrite overwrite) {
  auto st = write_npy(p, shape, data, type, overwrite);
  if (!st) throw CliError(st.error().message);
}

}  // namespace

void register_forward(CLI::App& app) {
  struct Opts {
    ModelOption model;
    InputOptions input;
    std::string dump;
    bool fp64 = false;
    bool force = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("forward", "Run the forward pass and dump hidden states, attentions, logits");
  opts->model.add_to(*cmd);
  opts->input.add_to(*cmd);
  cmd->add_option("--dump", opts->dump, "output folder (created if missing)")->required();
  cmd->add_flag("--fp64", opts->fp64, "compute in float64 and write float64 arrays");
  cmd->add_flag("--force", opts->force, "replace the dump's files if they exist");
  cmd->callback([opts] {
    // The folder is made and its files checked before the forward pass.
    std::error_code made;
    std::filesystem::create_directories(opts->dump, made);
    if (made) throw CliError(opts->dump + ": cannot create folder: " + made.message());
    for (const char* f : kDumpFiles) check_output(std::filesystem::path(opts->dump) / f, opts->force);
    const Overwrite overwrite = overwrite_mode(opts->force);
    engine::SessionPtr session =
        opts->model.open_session(opts->input, "cpu", opts->fp64 ? Precision::Float64 : Precision::Float32);
    const engine::Analysis in = analyse_input(*session, opts->input);
    const Trace& trace = *in.trace;
    const Model* model = &session->model();
    const NpyType type = opts->fp64 ? NpyType::Float64 : NpyType::Float32;

    std::filesystem::path dir(opts->dump);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw CliError(dir.string() + ": cannot create folder: " + ec.message());

    const int L = trace.num_layers(), N = trace.num_tokens(), D = model->spec.hidden_size;
    const int H = model->spec.num_heads, V = static_cast<int>(trace.logits.cols());
    std::vector<double> hs;
    hs.reserve(std::size_t(L + 1) * N * D);
    for (int l = 0; l <= L; ++l)
      for (int i = 0; i < N; ++i)
        for (int d = 0; d < D; ++d) hs.push_back(trace.hidden_state(l)(i, d));
    save(dir / "hidden_states.npy", {L + 1, N, D}, hs, type, overwrite);

    std::vector<double> at;
    at.reserve(std::size_t(L) * H * N * N);
    for (int l = 0; l < L; ++l)
      for (int h = 0; h < H; ++h)
        for (int i = 0; i < N; ++i)
          for (int j = 0; j < N; ++j) at.push_back(trace.blocks[l].attn_probs[h](i, j));
    save(dir / "attentions.npy", {L, H, N, N}, at, type, overwrite);

    std::vector<double> lg;
    lg.reserve(std::size_t(N) * V);
    for (int i = 0; i < N; ++i)
      for (int v = 0; v < V; ++v) lg.push_back(trace.logits(i, v));
    save(dir / "logits.npy", {N, V}, lg, type, overwrite);

    nlohmann::ordered_json tj;
    tj["model"] = model->source;
    tj["text"] = in.text;
    tj["ids"] = in.encoding.ids;
    tj["tokens"] = in.encoding.tokens;
    tj["labels"] = in.labels;
    nlohmann::json spans = nlohmann::json::array();
    for (auto [b, e] : in.encoding.spans) spans.push_back({b, e});
    tj["spans"] = spans;
    if (!in.input.token_types.empty()) tj["token_types"] = in.input.token_types;
    tj["precision"] = opts->fp64 ? "float64" : "float32";
    auto st = write_text_atomic(dir / "tokens.json", tj.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                                overwrite);
    if (!st) throw CliError(st.error().message);
    std::printf("wrote hidden_states.npy [%d,%d,%d], attentions.npy [%d,%d,%d,%d], logits.npy [%d,%d], tokens.json to %s\n",
                L + 1, N, D, L, H, N, N, N, V, dir.string().c_str());
  });
}

}  // namespace tl::cli

#pragma once
// Shared pieces of tensorlens-cli: model/tokenizer selection (--model DIR or the embedded default),
// the sentence input options every analysis command accepts, and one-line errors.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/engine/session.h"
#include "core/forward/forward.h"
#include "core/io/file_util.h"
#include "core/model/model.h"
#include "core/tokenizer/tokenizer.h"

namespace tl::cli {

// Thrown by commands; main() prints "tensorlens-cli: error: <message>" and exits with status 1.
struct CliError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// --model DIR (optional everywhere; default: the embedded stories260K).
struct ModelOption {
  std::string dir;
  void add_to(CLI::App& cmd);
  bool is_embedded() const { return dir.empty(); }
  std::shared_ptr<const Model> load_model() const;   // throws CliError
  Tokenizer load_tokenizer() const;                  // throws CliError
  // The engine session of this model on `device` ("cpu", "auto", "gpu" or a selector; the policy
  // of core/engine/device_policy.h). For inputs given as --ids a folder without tokenizer files is
  // fine (labels "#id"). Throws CliError.
  engine::SessionPtr open_session(const struct InputOptions& in, const std::string& device = "cpu",
                                  Precision precision = Precision::Float32) const;
};

// --text T [--text-pair T2] | --ids 1,2,3 [--token-types 0,0,1]
struct InputOptions {
  std::string text;
  std::optional<std::string> text_pair;
  std::vector<int> ids;
  std::vector<int> token_types;
  void add_to(CLI::App& cmd);
};

// The input analysed by the session: tokenized under the engine's budgets (--text, --text-pair), or
// the given ids with a synthesised encoding (--ids, --token-types); then the forward pass on the
// session's device. Throws CliError (no tokens, budgets, forward errors).
engine::Analysis analyse_input(const engine::Session& session, const InputOptions& in);

// Output files: checked before any work (the folder exists; the target is not a folder, device or
// FIFO; it does not exist unless --force), then written atomically without replacing unless
// --force (core/io/file_util.h). Throws CliError naming the file.
void check_output(const std::filesystem::path& path, bool force);
inline Overwrite overwrite_mode(bool force) { return force ? Overwrite::Replace : Overwrite::Refuse; }

// Escapes control characters for one-line display.
std::string printable(const std::string& s);
// Parses "1,2,3" (CLI11 also accepts repeated values).
std::vector<int> parse_int_list(const std::string& s);

// Each command registers itself on the app; run() is invoked when it was selected.
void register_info(CLI::App& app);
void register_tokenize(CLI::App& app);
void register_predict(CLI::App& app);
void register_forward(CLI::App& app);
void register_methods(CLI::App& app);
void register_analyze(CLI::App& app);
void register_block(CLI::App& app);
void register_devices(CLI::App& app);
void register_generate(CLI::App& app);
void register_eval(CLI::App& app);
void register_render(CLI::App& app);

}  // namespace tl::cli

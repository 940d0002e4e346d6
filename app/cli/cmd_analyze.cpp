// tensorlens-cli analyze: any registry method on one sentence, written as .npy (the matrix, or a
// stack [K, N, N] when the method gives one map per layer/head), .csv (with token labels) or .json
// (matrices, tokens, provenance).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli/analysis_options.h"
#include "app/cli/terminal_progress.h"
#include "core/io/file_util.h"
#include "core/io/npy.h"

namespace tl::cli {

namespace {

std::string csv_escape(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void write_outputs(const std::filesystem::path& out, const std::vector<Map>& maps, const AnalysisSession& s,
                   Overwrite overwrite) {
  const std::string ext = out.extension().string();
  if (ext == ".npy") {
    std::vector<std::int64_t> shape;
    std::vector<double> data;
    if (maps.size() > 1) shape.push_back(static_cast<std::int64_t>(maps.size()));
    shape.push_back(maps[0].rows());
    shape.push_back(maps[0].cols());
    for (const Map& m : maps)
      for (int i = 0; i < m.rows(); ++i)
        for (int j = 0; j < m.cols(); ++j) data.push_back(m.values(i, j));
    auto st = write_npy(out, shape, data, NpyType::Float64, overwrite);
    if (!st) throw CliError(st.error().message);
    return;
  }
  if (ext == ".csv") {
    std::ostringstream os;
    os.precision(10);
    for (std::size_t k = 0; k < maps.size(); ++k) {
      const Map& m = maps[k];
      if (maps.size() > 1) os << "# " << m.provenance.layers << "\n";
      os << csv_escape("row \\ column");
      for (auto& c : m.col_labels) os << "," << csv_escape(c);
      if (m.bias.size()) os << "," << csv_escape("bias");
      os << "\n";
      for (int i = 0; i < m.rows(); ++i) {
        os << csv_escape(i < int(m.row_labels.size()) ? m.row_labels[i] : std::to_string(i));
        for (int j = 0; j < m.cols(); ++j) os << "," << m.values(i, j);
        if (m.bias.size()) os << "," << m.bias[i];
        os << "\n";
      }
    }
    auto st = write_text_atomic(out, os.str(), overwrite);
    if (!st) throw CliError(st.error().message);
    return;
  }
  if (ext == ".json") {
    nlohmann::ordered_json j;
    j["tokens"] = s.analysis.labels;
    j["ids"] = s.analysis.input.ids;
    nlohmann::json arr = nlohmann::json::array();
    for (const Map& m : maps) {
      nlohmann::json mj;
      std::vector<std::vector<double>> rows(m.rows());
      for (int i = 0; i < m.rows(); ++i)
        for (int c = 0; c < m.cols(); ++c) rows[i].push_back(m.values(i, c));
      mj["matrix"] = rows;
      mj["row_labels"] = m.row_labels;
      mj["col_labels"] = m.col_labels;
      mj["signed"] = m.is_signed;
      if (m.bias.size()) mj["bias"] = std::vector<double>(m.bias.data(), m.bias.data() + m.bias.size());
      mj["provenance"] = to_json(m.provenance);
      arr.push_back(mj);
    }
    j["maps"] = arr;
    j["backend"] = s.session->device().note();
    auto st = write_text_atomic(out, j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", overwrite);
    if (!st) throw CliError(st.error().message);
    return;
  }
  throw CliError(out.string() + ": unknown output type '" + ext + "' (use .npy, .csv or .json)");
}

}  // namespace

void register_analyze(CLI::App& app) {
  struct Opts {
    AnalysisOptions a;
    std::string method;
    int head = -1;
    std::string out;
    bool force = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("analyze", "Compute a method's map (TensorLens or a baseline) for one sentence");
  opts->a.add_to(*cmd);
  cmd->add_option("--method", opts->method, "method name (see `methods`)")->required();
  cmd->add_option("--head", opts->head, "head index for per-head methods (default: every head)");
  cmd->add_option("--out", opts->out, "output file: .npy, .csv or .json")->required();
  cmd->add_flag("--force", opts->force, "replace the output file if it exists");
  cmd->callback([opts] {
    const MethodInfo* info = find_method(opts->method);
    if (!info) throw CliError("unknown method '" + opts->method + "' (see `tensorlens-cli methods`)");
    if (opts->head >= 0 && !info->per_head) throw CliError(opts->method + " has no heads: drop --head");
    // The target is checked before the computation, which may take minutes.
    const std::string ext = std::filesystem::path(opts->out).extension().string();
    if (ext != ".npy" && ext != ".csv" && ext != ".json")
      throw CliError(opts->out + ": unknown output type '" + ext + "' (use .npy, .csv or .json)");
    check_output(opts->out, opts->force);
    AnalysisSession s = open_session(opts->a);
    MethodRequest req = s.request(opts->a);
    req.head = opts->head;
    TerminalProgress progress(opts->a.quiet);
    Result<MethodOutput> r = s.compute(opts->method, req, &progress);
    if (!r) throw CliError(r.error().message);
    if (r->maps.empty()) throw CliError(opts->method + " produced no map");
    for (Map& m : r->maps) {
      if (m.provenance.model.empty()) m.provenance.model = s.model_label();
      if (m.provenance.text.empty()) m.provenance.text = s.analysis.text;
      if (m.provenance.method.empty()) m.provenance.method = opts->method;
    }
    write_outputs(opts->out, r->maps, s, overwrite_mode(opts->force));
    if (!opts->a.quiet)
      std::fprintf(stderr, "wrote %zu map(s) of %dx%d to %s\n", r->maps.size(), r->maps[0].rows(), r->maps[0].cols(),
                   opts->out.c_str());
  });
}

void register_block(CLI::App& app) {
  struct Opts {
    AnalysisOptions a;
    std::string pair;
    std::string out;
    bool true_jacobian = false;
    bool force = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("block", "The D x D TensorLens block (or true Jacobian block) of one token pair");
  opts->a.add_to(*cmd);
  cmd->add_option("--pair", opts->pair, "i,j: output token i, input token j (0-based)")->required();
  cmd->add_option("--out", opts->out, "output .npy file [D, D], rows output features")->required();
  cmd->add_flag("--true-jacobian", opts->true_jacobian, "the true Jacobian block dh_i/dx_j instead");
  cmd->add_flag("--force", opts->force, "replace the output file if it exists");
  cmd->callback([opts] {
    if (std::filesystem::path(opts->out).extension() != ".npy") throw CliError(opts->out + ": the block is written as .npy");
    check_output(opts->out, opts->force);
    std::vector<int> p = parse_int_list(opts->pair);
    if (p.size() != 2) throw CliError("--pair needs two indices i,j");
    AnalysisSession s = open_session(opts->a);
    const int N = s.analysis.trace->num_tokens();
    if (p[0] < 0 || p[0] >= N || p[1] < 0 || p[1] >= N)
      throw CliError("--pair " + opts->pair + " is outside 0.." + std::to_string(N - 1));
    const MethodRequest req = s.request(opts->a);
    engine::MapChoice scope;
    scope.scope = req.scope;
    scope.block = req.layer;
    scope.options = req.options;
    TerminalProgress progress(opts->a.quiet);
    Result<Map> r = s.session->pair_block(s.analysis, p[0], p[1], opts->true_jacobian, scope, &progress);
    if (!r) throw CliError(r.error().message);
    const MatD& b = r->values;
    std::vector<std::int64_t> shape{b.rows(), b.cols()};
    std::vector<double> data;
    for (int i = 0; i < b.rows(); ++i)
      for (int j = 0; j < b.cols(); ++j) data.push_back(b(i, j));
    auto st = write_npy(opts->out, shape, data, opts->a.fp64 ? NpyType::Float64 : NpyType::Float32,
                        overwrite_mode(opts->force));
    if (!st) throw CliError(st.error().message);
    Eigen::JacobiSVD<MatD> svd(b);
    const VecD sv = svd.singularValues();
    std::printf("block (%d,%d) %s: %lldx%lld, Frobenius norm %.6g, top singular values:", p[0], p[1],
                opts->true_jacobian ? "true Jacobian" : "TensorLens", static_cast<long long>(b.rows()),
                static_cast<long long>(b.cols()), b.norm());
    for (int k = 0; k < std::min<int>(5, static_cast<int>(sv.size())); ++k) std::printf(" %.6g", sv[k]);
    std::printf("\n");
  });
}

}  // namespace tl::cli

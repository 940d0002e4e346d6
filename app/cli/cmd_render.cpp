// tensorlens-cli render: a method's map drawn as a figure (PNG, SVG or PDF) by render/ (the same
// painter as the GUI's export), or its numbers (CSV, NPY), with "<file>.provenance.json" beside it.
//
//   render --method M (--text T | --ids ...) [--layer l | --through l] --out FILE.png|.svg|.pdf|.csv|.npy
//   render --sentences FILE --methods a,b --out-dir DIR [--format png|svg|pdf|csv|npy]
//   render --every-layer --method M (--text T | --ids ...) [--cumulative] --out-dir DIR [--format ...]
//
// --every-layer writes one file per block (block l alone, or blocks 1..l with --cumulative) on one
// colour scale, and one provenance JSON for the series: the same code as the app's File > Export
// every layer (core/methods/layer_series.h, render/layer_series_export.h).
//
// The batch mode loads the model once, runs one forward pass per sentence and writes one figure
// per sentence x method ("s001-rollout.png", ...), with progress on stderr. Existing files are
// never replaced unless --force; in batch mode every target is checked before any work starts,
// so a run does not stop half-way over a name clash. Writes are atomic (render/export.h).
//
// Text drawing needs a QGuiApplication: the command creates one on Qt's "offscreen" platform, so
// it runs without a display.
#include <QGuiApplication>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "app/cli/analysis_options.h"
#include "app/cli/terminal_progress.h"
#include "core/methods/layer_series.h"
#include "render/export.h"
#include "render/layer_series_export.h"
#include "render/special_tokens.h"

namespace tl::cli {

namespace {

struct RenderOptions {
  AnalysisOptions a;
  std::string method;
  int head = -1;
  std::string out;
  // Batch mode.
  std::string sentences;
  std::vector<std::string> methods;
  std::string out_dir;
  std::string format = "png";
  // Every layer.
  bool every_layer = false;
  bool cumulative = false;
  // Drawing.
  std::string size = "1400x1100";
  double dpi = 150.0;
  std::string colormap = "auto";
  bool row_normalise = false;
  bool log_scale = false;
  bool show_special = false;
  bool force = false;
};

// The QGuiApplication that QPainter text needs, on the offscreen platform (no display).
class OffscreenGui {
 public:
  OffscreenGui() {
    if (QGuiApplication::instance()) return;
    static char arg0[] = "tensorlens-cli";
    static char arg1[] = "-platform";
    static char arg2[] = "offscreen";
    static char* argv[] = {arg0, arg1, arg2, nullptr};
    static int argc = 3;
    app_ = std::make_unique<QGuiApplication>(argc, argv);
  }

 private:
  std::unique_ptr<QGuiApplication> app_;
};

render::ExportOptions export_options(const RenderOptions& o) {
  render::ExportOptions e;
  int w = 0, h = 0;
  char x = 0;
  if (std::sscanf(o.size.c_str(), "%d%c%d", &w, &x, &h) != 3 || (x != 'x' && x != 'X'))
    throw CliError("--size '" + o.size + "' is not WxH (e.g. 1400x1100)");
  e.size = QSize(w, h);
  e.dpi = o.dpi;
  e.overwrite = o.force;
  return e;
}

render::HeatmapStyle heatmap_style(const RenderOptions& o) {
  render::HeatmapStyle s;
  if (o.colormap == "auto") {
    s.colormap = render::ColormapChoice::Auto;
  } else {
    render::ColormapKind kind{};
    if (!render::parse_colormap(QString::fromStdString(o.colormap), &kind))
      throw CliError("--colormap '" + o.colormap + "' is not auto, viridis, magma or diverging");
    s.colormap = kind == render::ColormapKind::Viridis ? render::ColormapChoice::Viridis
                 : kind == render::ColormapKind::Magma ? render::ColormapChoice::Magma
                                                       : render::ColormapChoice::Diverging;
  }
  s.row_normalise = o.row_normalise;
  s.log_scale = o.log_scale;
  s.hide_special = !o.show_special;
  return s;
}

// Computes `method` on the session's sentence; fills in provenance the method left empty.
Map compute_one(AnalysisSession& s, const std::string& method, MethodRequest req, const std::string& prefix) {
  const MethodInfo* info = find_method(method);
  if (!info) throw CliError("unknown method '" + method + "' (see `tensorlens-cli methods`)");
  // A per-head method without --head draws head 0 (one figure, one map).
  if (info->per_head && req.head < 0) req.head = 0;
  // Methods without a cumulative scope draw block 1 (or the --layer/--through block) alone.
  if (req.scope != Scope::Block && !info->cumulative) {
    req.scope = Scope::Block;
    req.layer = std::max(1, req.layer);
  }
  if (req.scope == Scope::Block && !info->per_layer)
    throw CliError(method + " has no per-block map (drop --layer, or use --through)");
  TerminalProgress progress(s.quiet, prefix);
  Result<MethodOutput> r = s.compute(method, req, &progress);
  if (!r) throw CliError(method + ": " + r.error().message);
  if (r->maps.empty()) throw CliError(method + " produced no map");
  Map m = std::move(r->maps.front());
  if (m.provenance.model.empty()) m.provenance.model = s.model_label();
  if (m.provenance.text.empty()) m.provenance.text = s.analysis.text;
  if (m.provenance.method.empty()) m.provenance.method = method;
  return m;
}

render::TokenFlags token_flags(const AnalysisSession& s) {
  render::TokenFlags flags;
  flags.labels = s.analysis.labels;
  flags.special.assign(s.analysis.encoding.special.begin(), s.analysis.encoding.special.end());
  flags.causal = s.model().spec.causal;
  return flags;
}

void write_figure(const std::filesystem::path& path, const Map& map, const AnalysisSession& s,
                  const RenderOptions& o) {
  render::FigureInput in;
  in.map = &map;
  in.style = heatmap_style(o);
  in.special = render::special_tokens_for(map, token_flags(s));
  if (Status st = render::export_figure(path, in, export_options(o)); !st) throw CliError(st.error().message);
}

void check_free_file(const std::filesystem::path& p) {
  std::error_code ec;
  if (std::filesystem::exists(p, ec)) throw CliError(p.string() + " already exists (use --force to replace it)");
}

void check_free(const std::filesystem::path& path, bool force) {
  if (force) return;
  for (const auto& p : {path, render::provenance_path(path)}) check_free_file(p);
}

void render_single(RenderOptions& o) {
  if (o.method.empty()) throw CliError("--method is required (or --sentences with --methods for a batch)");
  if (!o.out_dir.empty()) throw CliError("--out-dir is for --sentences or --every-layer");
  if (o.out.empty()) throw CliError("--out FILE.png|.svg|.pdf|.csv|.npy is required");
  if (!render::format_for_path(o.out))
    throw CliError(o.out + ": unknown file type (use .png, .svg, .pdf, or .csv, .npy for the numbers)");
  if (!find_method(o.method))
    throw CliError("unknown method '" + o.method + "' (see `tensorlens-cli methods`)");
  if (o.a.input.text.empty() && o.a.input.ids.empty())
    throw CliError("give --text or --ids (or --sentences FILE)");
  check_free(o.out, o.force);
  export_options(o);  // reject a bad --size before the computation
  heatmap_style(o);
  OffscreenGui gui;
  AnalysisSession s = open_session(o.a);
  MethodRequest req = s.request(o.a);
  req.head = o.head;
  const Map map = compute_one(s, o.method, req, "");
  write_figure(o.out, map, s, o);
  if (!o.a.quiet)
    std::fprintf(stderr, "wrote %s (%dx%d map) and %s\n", o.out.c_str(), map.rows(), map.cols(),
                 render::provenance_path(o.out).string().c_str());
}

render::ExportFormat export_format(const RenderOptions& o) {
  const auto f = render::format_for_path("x." + o.format);
  if (!f) throw CliError("--format '" + o.format + "' is not png, svg, pdf, csv or npy");
  return *f;
}

void render_every_layer(RenderOptions& o) {
  if (o.method.empty()) throw CliError("--every-layer needs --method");
  if (o.out_dir.empty()) throw CliError("--every-layer needs --out-dir DIR");
  if (!o.out.empty()) throw CliError("--every-layer writes into --out-dir: drop --out");
  if (o.a.layer || o.a.through)
    throw CliError("--every-layer draws every block: drop --layer/--through (--cumulative for blocks 1..l)");
  if (o.a.input.text.empty() && o.a.input.ids.empty()) throw CliError("give --text or --ids");
  const MethodInfo* info = find_method(o.method);
  if (!info) throw CliError("unknown method '" + o.method + "' (see `tensorlens-cli methods`)");
  const Scope scope = o.cumulative ? Scope::Through : Scope::Block;
  if (scope == Scope::Block && !info->per_layer)
    throw CliError(o.method + " has no map of a block alone" + (info->cumulative ? " (try --cumulative)" : ""));
  if (scope == Scope::Through && !info->cumulative) throw CliError(o.method + " has no cumulative map (drop --cumulative)");
  render::LayerSeriesExport series;
  series.method = o.method;
  series.cumulative = o.cumulative;
  series.format = export_format(o);
  series.style = heatmap_style(o);
  const render::ExportOptions options = export_options(o);

  OffscreenGui gui;
  AnalysisSession s = open_session(o.a);
  series.num_layers = s.model().spec.num_layers;
  // Refuse before the computation when a file of the series is there (the export checks again,
  // including the end-to-end map that the TensorLens engine adds).
  if (!o.force) {
    for (int l = 1; l <= series.num_layers; ++l) series.blocks.push_back(l);
    for (const auto& p : render::layer_series_paths(o.out_dir, series)) check_free_file(p);
    series.blocks.clear();
  }
  MethodRequest base = s.request(o.a);
  base.head = std::max(0, o.head);  // a per-head method draws one head per block (default 0)
  TerminalProgress progress(s.quiet, "");
  Result<LayerSeries> computed = s.series(o.method, scope, base, &progress);
  if (!computed) throw CliError(computed.error().message);
  const render::TokenFlags flags = token_flags(s);
  for (Map& m : computed->maps) {
    if (m.provenance.model.empty()) m.provenance.model = s.model_label();
    if (m.provenance.text.empty()) m.provenance.text = s.analysis.text;
    if (m.provenance.method.empty()) m.provenance.method = o.method;
    series.special.push_back(render::special_tokens_for(m, flags));
    series.maps.push_back(std::make_shared<const Map>(std::move(m)));
  }
  series.blocks = computed->blocks;
  series.provenance = {{"command", "tensorlens-cli render --every-layer"}, {"sentence_tokens", s.analysis.labels}};
  if (info->per_head) series.provenance["head"] = std::max(0, o.head);
  if (Status st = render::export_layer_series(o.out_dir, series, options, &progress); !st) throw CliError(st.error().message);
  if (!o.a.quiet)
    std::fprintf(stderr, "wrote %zu file(s) and %s\n", series.maps.size(),
                 render::series_provenance_path(o.out_dir, series).string().c_str());
}

std::vector<std::string> read_sentences(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw CliError(file + ": cannot open the sentences file");
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank lines separate nothing
    out.push_back(line);
  }
  if (out.empty()) throw CliError(file + ": no sentences (one per line)");
  return out;
}

void render_batch(RenderOptions& o) {
  if (o.methods.empty()) throw CliError("--sentences needs --methods a,b");
  if (o.out_dir.empty()) throw CliError("--sentences needs --out-dir DIR");
  if (!o.out.empty() || !o.method.empty())
    throw CliError("--sentences writes into --out-dir: drop --out/--method");
  export_format(o);
  for (const auto& m : o.methods)
    if (!find_method(m)) throw CliError("unknown method '" + m + "' (see `tensorlens-cli methods`)");
  const std::vector<std::string> sentences = read_sentences(o.sentences);
  export_options(o);
  heatmap_style(o);
  const std::filesystem::path dir = o.out_dir;
  auto target = [&](std::size_t k, const std::string& method) {
    char name[32];
    std::snprintf(name, sizeof name, "s%03zu-", k + 1);
    return dir / (name + method + "." + o.format);
  };
  for (std::size_t k = 0; k < sentences.size(); ++k)
    for (const auto& m : o.methods) check_free(target(k, m), o.force);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw CliError(dir.string() + ": cannot create the folder (" + ec.message() + ")");

  OffscreenGui gui;
  // One model, tokenizer and backend for every sentence; a forward pass per sentence.
  AnalysisOptions first = o.a;
  first.input.text = sentences.front();
  AnalysisSession s = open_session(first);
  const std::size_t total = sentences.size() * o.methods.size();
  std::size_t done = 0;
  for (std::size_t k = 0; k < sentences.size(); ++k) {
    if (k > 0) {
      InputOptions in = o.a.input;
      in.text = sentences[k];
      s.analyse(in);
    }
    AnalysisOptions a = o.a;
    a.input.text = sentences[k];
    const MethodRequest req = [&] {
      MethodRequest r = s.request(a);
      r.head = o.head;
      return r;
    }();
    for (const auto& method : o.methods) {
      const std::filesystem::path path = target(k, method);
      char prefix[64];
      std::snprintf(prefix, sizeof prefix, "[%zu/%zu] ", done + 1, total);
      const Map map = compute_one(s, method, req, o.a.quiet ? "" : prefix);
      write_figure(path, map, s, o);
      ++done;
      if (!o.a.quiet) std::fprintf(stderr, "[%zu/%zu] %s\n", done, total, path.string().c_str());
    }
  }
  if (!o.a.quiet) std::fprintf(stderr, "wrote %zu figure(s) to %s\n", total, dir.string().c_str());
}

}  // namespace

void register_render(CLI::App& app) {
  auto o = std::make_shared<RenderOptions>();
  auto* cmd =
      app.add_subcommand("render", "Draw a method's map as a PNG, SVG or PDF figure with a provenance file");
  o->a.add_to(*cmd);
  cmd->add_option("--method", o->method, "method name (see `methods`)");
  cmd->add_option("--head", o->head, "head for per-head methods (default 0)");
  cmd->add_option("--out", o->out,
                  "figure file .png, .svg or .pdf, or the numbers as .csv or .npy (provenance JSON written beside it)");
  auto* sentences = cmd->add_option("--sentences", o->sentences, "batch: a text file, one sentence per line");
  cmd->add_option("--methods", o->methods, "batch: methods, e.g. tensorlens-in,rollout")
      ->delimiter(',')
      ->needs(sentences);
  auto* every = cmd->add_flag("--every-layer", o->every_layer,
                              "one file per block of --method into --out-dir, one provenance JSON for all");
  cmd->add_flag("--cumulative", o->cumulative, "--every-layer: blocks 1..l for every l (default: each block alone)")
      ->needs(every);
  cmd->add_option("--out-dir", o->out_dir, "batch / --every-layer: the folder for the files");
  cmd->add_option("--format", o->format, "batch / --every-layer: png, svg, pdf, csv or npy (default png)");
  every->excludes(sentences);
  cmd->add_option("--size", o->size, "figure size in pixels WxH (default 1400x1100)");
  cmd->add_option("--dpi", o->dpi, "resolution (default 150): labels keep their physical size");
  cmd->add_option("--colormap", o->colormap, "auto (diverging for signed maps), viridis, magma or diverging");
  cmd->add_flag("--row-normalise", o->row_normalise, "divide each row by its largest |value|");
  cmd->add_flag("--log", o->log_scale, "logarithmic colour scale (symmetric for signed maps)");
  cmd->add_flag("--show-special", o->show_special,
                "keep special tokens and the attention sink in the colour scale (default: grey, outside it)");
  cmd->add_flag("--force", o->force, "replace existing files");
  sentences->excludes(cmd->get_option("--text"))->excludes(cmd->get_option("--ids"));
  cmd->callback([o] {
    if (o->every_layer)
      render_every_layer(*o);
    else if (!o->sentences.empty())
      render_batch(*o);
    else
      render_single(*o);
  });
}

}  // namespace tl::cli

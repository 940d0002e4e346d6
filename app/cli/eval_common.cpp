#include "app/cli/eval_common.h"

#include <QGuiApplication>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "core/io/file_util.h"

namespace tl::cli {

void SentenceOptions::add_to(CLI::App& cmd) {
  cmd.add_option("--sentences", file, "sentence file: one per line, '#' comments; MLMs mark the explained word [MASK]")
      ->required();
  cmd.add_option("--limit", limit, "use the first N sentences only")->check(CLI::NonNegativeNumber);
}

std::vector<eval::EvalExample> SentenceOptions::load(const Model& model, const Tokenizer& tokenizer) const {
  auto lines = eval::read_sentence_file(file);
  if (!lines) throw CliError(lines.error().message);
  if (limit > 0 && size_t(limit) < lines->size()) lines->resize(size_t(limit));
  auto ex = eval::make_examples(*lines, model, tokenizer);
  if (!ex) throw CliError(file + ": " + ex.error().message);
  return std::move(ex).value();
}

void write_report_text(const std::string& path, const std::string& text, bool force) {
  if (auto st = write_text_atomic(path, text, overwrite_mode(force)); !st) throw CliError(st.error().message);
}

void write_plot_png(const std::string& path, const render::LinePlot& plot, int width, int height, bool force) {
  check_output(path, force);
  std::unique_ptr<QGuiApplication> app;
  if (!QGuiApplication::instance()) {
    // Qt warns on stderr without a runtime directory; give it a private one (0700) as it would.
    if (!std::getenv("XDG_RUNTIME_DIR")) {
      const std::string dir = "/tmp/tensorlens-runtime-" + std::to_string(getuid());
      mkdir(dir.c_str(), 0700);
      setenv("XDG_RUNTIME_DIR", dir.c_str(), 0);
    }
    static int argc = 3;
    static char arg0[] = "tensorlens-cli", arg1[] = "-platform", arg2[] = "offscreen";
    static char* argv[] = {arg0, arg1, arg2, nullptr};
    app = std::make_unique<QGuiApplication>(argc, argv);
  }
  if (auto st = render::save_line_plot_png(path, plot, QSize(width, height)); !st) throw CliError(st.error().message);
}

}  // namespace tl::cli

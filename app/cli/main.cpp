// tensorlens-cli: every analysis of TensorLens Studio from the command line. Each subcommand lives
// in its own cmd_*.cpp and registers itself here. Errors print one line and exit with status 1.
#include <malloc.h>

#include <cstdio>

#include "app/cli/cli_common.h"

int main(int argc, char** argv) {
  // Keep freed heap memory instead of returning it to the OS after every Trace: the engine
  // allocates and frees large matrices in a loop, and glibc's trimming made it 3-15x slower.
  mallopt(M_TOP_PAD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  CLI::App app{"TensorLens Studio command line: inspect transformer models through the TensorLens operator"};
  app.set_version_flag("--version", std::string("tensorlens-cli ") + TL_VERSION);
  app.require_subcommand(1);
  tl::cli::register_info(app);
  tl::cli::register_tokenize(app);
  tl::cli::register_predict(app);
  tl::cli::register_forward(app);
  tl::cli::register_methods(app);
  tl::cli::register_analyze(app);
  tl::cli::register_block(app);
  tl::cli::register_devices(app);
  tl::cli::register_generate(app);
  tl::cli::register_eval(app);
  tl::cli::register_render(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help, --version: CLI11 prints them and exits 0. Every real parse error follows the one-line
    // convention of every other error (prefix, status 1), not CLI11's two lines and codes 104-109.
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "tensorlens-cli: error: %s (see tensorlens-cli --help)\n", e.what());
    return 1;
  } catch (const tl::cli::CliError& e) {
    std::fprintf(stderr, "tensorlens-cli: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tensorlens-cli: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

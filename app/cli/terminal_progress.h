#pragma once
// Progress on stderr as one updating line (every long command shows it; --quiet silences it).
#include <cstdio>
#include <string>

#include "core/util/progress.h"

namespace tl::cli {

class TerminalProgress : public Progress {
 public:
  explicit TerminalProgress(bool quiet) : quiet_(quiet) {}
  ~TerminalProgress() override {
    if (shown_) std::fprintf(stderr, "\n");
  }
  void report(double fraction, std::string_view what) override {
    if (quiet_) return;
    std::fprintf(stderr, "\r%5.1f%% %-60.60s", 100.0 * fraction, std::string(what).c_str());
    shown_ = true;
  }

 private:
  bool quiet_;
  bool shown_ = false;
};

}  // namespace tl::cli

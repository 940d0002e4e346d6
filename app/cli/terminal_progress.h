#pragma once
// Progress on stderr as one updating line (every long command shows it; --quiet silences it). An
// optional prefix says which item of a batch is running ("[3/10] ").
#include <cstdio>
#include <string>

#include "core/util/progress.h"

namespace tl::cli {

class TerminalProgress : public Progress {
 public:
  explicit TerminalProgress(bool quiet, std::string prefix = {})
      : quiet_(quiet), prefix_(std::move(prefix)) {}
  ~TerminalProgress() override {
    if (shown_) std::fprintf(stderr, "\n");
  }
  void report(double fraction, std::string_view what) override {
    if (quiet_) return;
    std::fprintf(stderr, "\r%s%5.1f%% %-60.60s", prefix_.c_str(), 100.0 * fraction,
                 std::string(what).c_str());
    shown_ = true;
  }

 private:
  bool quiet_;
  std::string prefix_;
  bool shown_ = false;
};

}  // namespace tl::cli

#pragma once
// Qt-free progress and cancel interface for long computations. The app wraps it for its worker
// thread; the CLI prints it; tests pass nothing.
#include <atomic>
#include <string_view>

namespace tl {

class Progress {
 public:
  virtual ~Progress() = default;
  // fraction in [0, 1]; what says what is being done ("layer 3/12").
  virtual void report(double fraction, std::string_view what) {}
  virtual bool cancelled() const { return false; }
};

// A Progress whose cancel flag can be set from another thread.
class CancelFlag : public Progress {
 public:
  void cancel() { flag_.store(true); }
  bool cancelled() const override { return flag_.load(); }

 private:
  std::atomic<bool> flag_{false};
};

// Reports a sub-range [from, to] of a parent's progress; forwards cancellation.
class ProgressSlice final : public Progress {
 public:
  ProgressSlice(Progress* parent, double from, double to) : parent_(parent), from_(from), to_(to) {}
  void report(double fraction, std::string_view what) override {
    if (parent_) parent_->report(from_ + (to_ - from_) * fraction, what);
  }
  bool cancelled() const override { return parent_ && parent_->cancelled(); }

 private:
  Progress* parent_;
  double from_, to_;
};

// Thrown inside computations when Progress::cancelled() is seen; caught at the job boundary.
struct Cancelled {};

}  // namespace tl

#include "app/gui/job_queue.h"

#include <QMetaObject>
#include <QPointer>
#include <chrono>
#include <exception>

namespace tl::app {

struct JobQueue::Job {
  QString tag;
  QPointer<QObject> receiver;
  Work work;
  std::shared_ptr<CancelFlag> cancel = std::make_shared<CancelFlag>();
};

// Forwards progress to the UI at most every 50 ms (and always the final report).
class JobQueue::JobProgress : public CancelFlag {
 public:
  JobProgress(JobQueue* queue, QString tag, std::shared_ptr<CancelFlag> cancel)
      : queue_(queue), tag_(std::move(tag)), cancel_(std::move(cancel)) {}
  void report(double fraction, std::string_view what) override {
    const auto now = std::chrono::steady_clock::now();
    if (fraction < 1.0 && now - last_ < std::chrono::milliseconds(50)) return;
    last_ = now;
    emit queue_->progress(tag_, fraction, QString::fromUtf8(what.data(), static_cast<qsizetype>(what.size())));
  }
  bool cancelled() const override { return cancel_->cancelled(); }

 private:
  JobQueue* queue_;
  QString tag_;
  std::shared_ptr<CancelFlag> cancel_;
  std::chrono::steady_clock::time_point last_{};
};

JobQueue::JobQueue(QObject* parent) : QObject(parent) { worker_ = std::thread([this] { run(); }); }

JobQueue::~JobQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
    if (running_) running_->cancel->cancel();
  }
  wake_.notify_all();
  worker_.join();
}

void JobQueue::post(const QString& tag, QObject* receiver, Work work) {
  auto job = std::make_shared<Job>();
  job->tag = tag;
  job->receiver = receiver;
  job->work = std::move(work);
  bool became_busy = false;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(queue_, [&](const auto& j) { return j->tag == tag; });
    if (running_ && running_->tag == tag) running_->cancel->cancel();
    became_busy = queue_.empty() && !running_;
    queue_.push_back(std::move(job));
  }
  if (became_busy) emit busyChanged(true);
  wake_.notify_one();
}

void JobQueue::cancel(const QString& tag) {
  std::lock_guard lock(mutex_);
  std::erase_if(queue_, [&](const auto& j) { return j->tag == tag; });
  if (running_ && running_->tag == tag) running_->cancel->cancel();
}

bool JobQueue::busy() const {
  std::lock_guard lock(mutex_);
  return running_ || !queue_.empty();
}

void JobQueue::waitForIdle() const {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return stopping_ || (!running_ && queue_.empty()); });
}

void JobQueue::run() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      job = queue_.front();
      queue_.pop_front();
      running_ = job;
    }
    JobProgress progress(this, job->tag, job->cancel);
    Continuation done;
    try {
      done = job->work(progress);
    } catch (const tl::Cancelled&) {
      done = nullptr;
    } catch (const std::exception& e) {
      emit failed(job->tag, QString::fromUtf8(e.what()));
    } catch (...) {
      emit failed(job->tag, QStringLiteral("unknown error"));
    }
    // A job cancelled (or replaced) while it ran delivers nothing: its result is stale.
    // The receiver is checked on the UI thread, where it could be deleted.
    if (done && !job->cancel->cancelled()) {
      QMetaObject::invokeMethod(
          this,
          [receiver = job->receiver, done = std::move(done)] {
            if (receiver) done();
          },
          Qt::QueuedConnection);
    }
    bool now_idle = false;
    {
      std::lock_guard lock(mutex_);
      running_.reset();
      now_idle = queue_.empty();
    }
    if (now_idle) {
      idle_.notify_all();
      emit busyChanged(false);
    }
  }
  idle_.notify_all();
}

}  // namespace tl::app

#pragma once
// JobQueue: the one engine worker thread of the app. The UI posts tagged jobs; a newer job with
// the same tag replaces a queued one and asks a running one to cancel (latest wins). A job runs on
// the worker and returns a continuation that runs on the UI thread in the context of a receiver
// object; if the receiver is gone by then, the continuation is dropped (Qt drops queued calls to
// deleted objects).
//
// Limits: one worker, so jobs with different tags run one after the other in posting order.
// Cancellation is cooperative: a job sees it through tl::Progress::cancelled() and throws
// tl::Cancelled; work that never checks (a single forward pass) runs to its end and its result
// is then dropped.
#include <QObject>
#include <QString>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "core/util/progress.h"

namespace tl::app {

class JobQueue : public QObject {
  Q_OBJECT
 public:
  using Continuation = std::function<void()>;
  using Work = std::function<Continuation(tl::Progress&)>;

  explicit JobQueue(QObject* parent = nullptr);
  ~JobQueue() override;  // cancels everything and joins the worker

  void post(const QString& tag, QObject* receiver, Work work);
  // Drops a queued job and cancels a running one with this tag.
  void cancel(const QString& tag);
  bool busy() const;
  // Blocks until the queue is empty and the worker idle (tests and shutdown); continuations
  // still need the UI event loop to run.
  void waitForIdle() const;

 signals:
  // Emitted from the worker thread; connect with the default (queued) connection. busyChanged
  // can arrive out of order with respect to post(): receivers should re-read busy().
  void progress(const QString& tag, double fraction, const QString& what);
  void busyChanged(bool busy);
  void failed(const QString& tag, const QString& message);

 private:
  struct Job;
  class JobProgress;
  void run();

  mutable std::mutex mutex_;
  mutable std::condition_variable wake_, idle_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::shared_ptr<Job> running_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace tl::app

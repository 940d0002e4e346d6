#pragma once
// What the app tests share: the sample sentence, the embedded model loaded once per process, and
// waiting for an analysis to finish.
#include <QSignalSpy>
#include <QString>

#include "app/gui/displayed_map.h"
#include "app/gui/app_context.h"

namespace tl::app::test {

inline const QString kSample = QStringLiteral("Once upon a time, there was a little girl named Lily.");

// stories260K and its tokenizer, loaded on first use (aborts the test binary when that fails).
inline SessionPtr embedded() {
  static const SessionPtr session = [] {
    auto s = tl::engine::Session::open_embedded();
    if (!s) qFatal("embedded model: %s", s.error().message.c_str());
    return s.value();
  }();
  return session;
}

// True when analysisFinished (forward pass, map and cells in) arrives within the timeout.
inline bool wait_for_analysis(AppContext& context, int timeout_ms = 60000) {
  QSignalSpy spy(&context, &AppContext::analysisFinished);
  return spy.wait(timeout_ms);
}

}  // namespace tl::app::test

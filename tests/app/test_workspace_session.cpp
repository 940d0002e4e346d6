// WorkspaceSession: the app's state saved and restored through the workspace file (autosave,
// save on demand), and newer/corrupt files reported without losing them.
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "app/gui/app_context.h"
#include "app/gui/workspace_session.h"
#include "tests/app/app_test_support.h"

using namespace tl::app;
using tl::app::test::embedded;

namespace {

QByteArray read_all(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void write_all(const QString& path, const QByteArray& bytes) {
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
  f.write(bytes);
}

}  // namespace

class TestWorkspaceSession : public QObject {
  Q_OBJECT
 private slots:
  void savesAndRestoresTheView() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("state/workspace.json"));
    {
      AppContext context;
      context.setSession(embedded());
      WorkspaceSession session(&context, path);
      session.setAutosaveInterval(0);
      context.setText(QStringLiteral("Once upon a time there was a cat."));
      context.setMethod(QStringLiteral("rollout"));
      context.setScope(tl::Scope::Block);
      context.setBlock(3);
      tl::render::HeatmapStyle style = context.style();
      style.colormap = tl::render::ColormapChoice::Magma;
      style.log_scale = true;
      context.setStyle(style);
      context.setSharedScale(true);
      context.setSelectedPair(4, 2);
      QVERIFY(session.dirty());
      QVERIFY(session.save().ok());
      QVERIFY(!session.dirty());
      QSignalSpy finished(&context, &AppContext::analysisFinished);
      QVERIFY(finished.count() > 0 || finished.wait(60000));  // let the worker finish before teardown
    }
    const QByteArray text = read_all(path);
    QVERIFY2(text.contains("\"method\": \"rollout\""), text.constData());
    QVERIFY(text.contains("\"source\": \"embedded\""));

    AppContext context;
    WorkspaceSession session(&context, path);
    QSignalSpy problems(&session, &WorkspaceSession::problem);
    const auto restored = session.restore();
    QVERIFY(restored.restored);
    QVERIFY(restored.model_folder.isEmpty());  // embedded
    QCOMPARE(problems.count(), 0);
    QCOMPARE(context.text(), QStringLiteral("Once upon a time there was a cat."));
    QCOMPARE(QString::fromStdString(context.mapChoice().method), QStringLiteral("rollout"));
    QCOMPARE(context.style().colormap, tl::render::ColormapChoice::Magma);
    QVERIFY(context.style().log_scale);
    QVERIFY(context.sharedScale());
    // The model arrives later (as at start-up); the choice is made valid then and the selection
    // is applied once the restored text is analysed.
    QSignalSpy finished(&context, &AppContext::analysisFinished);
    context.setSession(embedded());
    QVERIFY(finished.wait(60000));
    QCOMPARE(context.mapChoice().scope, tl::Scope::Block);
    QCOMPARE(context.block(), 3);
    QCOMPARE(context.selectedRow(), 4);
    QCOMPARE(context.selectedCol(), 2);
  }

  void autosavesAfterChanges() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("workspace.json"));
    AppContext context;
    WorkspaceSession session(&context, path);
    session.setAutosaveInterval(50);
    QSignalSpy saved(&session, &WorkspaceSession::saved);
    context.setText(QStringLiteral("autosaved sentence"));
    QVERIFY(saved.wait(5000));
    QVERIFY(read_all(path).contains("autosaved sentence"));
    // Nothing left behind but the file itself (atomic write: temp + rename).
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 1);
  }

  void reportsACorruptFileAndKeepsIt() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("workspace.json"));
    write_all(path, "{\"format\": \"tensorlens-workspace\", \"version\": 1, \"sentences\": [\"half");
    AppContext context;
    WorkspaceSession session(&context, path);
    QSignalSpy problems(&session, &WorkspaceSession::problem);
    QVERIFY(!session.restore().restored);
    QCOMPARE(problems.count(), 1);
    const QString message = problems.at(0).at(0).toString();
    QVERIFY2(message.contains(QStringLiteral("not a readable workspace")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral(".corrupt")), qPrintable(message));
    QVERIFY(QFile::exists(path + QStringLiteral(".corrupt")));
    QVERIFY(context.text().isEmpty());
  }

  void reportsANewerFileAndReadsWhatItKnows() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("workspace.json"));
    write_all(path, R"({"format": "tensorlens-workspace", "version": 5, "models": [{"source": "embedded"}],
                        "sentences": ["from the future"], "views": [{"method": "rollout", "hologram": true}]})");
    AppContext context;
    WorkspaceSession session(&context, path);
    QSignalSpy problems(&session, &WorkspaceSession::problem);
    QVERIFY(session.restore().restored);
    QCOMPARE(problems.count(), 1);
    QVERIFY2(problems.at(0).at(0).toString().contains(QStringLiteral("newer")),
             qPrintable(problems.at(0).at(0).toString()));
    QCOMPARE(context.text(), QStringLiteral("from the future"));
    QVERIFY(QFile::exists(path + QStringLiteral(".newer")));
  }

  void reportsAMissingModelFolder() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("workspace.json"));
    write_all(
        path,
        R"({"format": "tensorlens-workspace", "version": 1, "models": [{"source": "/nonexistent/model"}],
                        "sentences": ["still restored"]})");
    AppContext context;
    WorkspaceSession session(&context, path);
    QSignalSpy problems(&session, &WorkspaceSession::problem);
    const auto restored = session.restore();
    QVERIFY(restored.restored);
    QVERIFY(restored.model_folder.isEmpty());  // the caller opens the embedded model
    QCOMPARE(problems.count(), 1);
    QVERIFY(problems.at(0).at(0).toString().contains(QStringLiteral("/nonexistent/model")));
    QCOMPARE(context.text(), QStringLiteral("still restored"));
  }

  void reportsAFailedSave() {
    QTemporaryDir dir;
    // A path under a regular file cannot be created.
    write_all(dir.filePath(QStringLiteral("blocker")), "x");
    AppContext context;
    WorkspaceSession session(&context, dir.filePath(QStringLiteral("blocker/workspace.json")));
    QSignalSpy problems(&session, &WorkspaceSession::problem);
    context.setText(QStringLiteral("unsaved"));
    QVERIFY(!session.save().ok());
    QCOMPARE(problems.count(), 1);
    QVERIFY(problems.at(0).at(0).toString().startsWith(QStringLiteral("Workspace not saved")));
    QVERIFY(session.dirty());
  }

  void defaultPathFollowsXdgStateHome() {
    qputenv("XDG_STATE_HOME", "/tmp/tl-state-test");
    QCOMPARE(WorkspaceSession::defaultPath(), QStringLiteral("/tmp/tl-state-test/tensorlens/workspace.json"));
    qunsetenv("XDG_STATE_HOME");
    QVERIFY(WorkspaceSession::defaultPath().endsWith(QStringLiteral("/workspace.json")));
  }
};

QTEST_MAIN(TestWorkspaceSession)
#include "test_workspace_session.moc"

// A 10,000-token paste must not hang the UI (issue 8): the text is tokenized at once, the
// analysis is refused before any work is posted (the message carries the limit and the memory
// estimate), and the event loop keeps running. Driven through the sentence editor of the real
// main window, as a paste would be.
#include <QElapsedTimer>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QtTest>

#include "app/gui/app_context.h"
#include "app/gui/main_window.h"

using namespace tl::app;

class TestLongPaste : public QObject {
  Q_OBJECT
 private slots:
  void tenThousandTokensAreRefusedQuickly() {
    auto session = load_embedded_session();
    QVERIFY(session.ok());
    AppContext context;
    context.setPreferVulkan(false);
    MainWindow window(&context, /*restore_settings=*/false);
    window.resize(1200, 800);
    window.show();
    context.setSession(session.value());
    QSignalSpy first(&context, &AppContext::analysisFinished);
    context.setText(QStringLiteral("Once upon a time"));
    QVERIFY(first.wait(60000));

    const QString sentence = QStringLiteral("Once upon a time, there was a little girl named Lily. ");
    const int per_sentence =
        static_cast<int>(session->tokenizer->encode(sentence.toStdString(), false).size());
    QString text;
    for (int i = 0; i * per_sentence < 11000; ++i) text += sentence;  // margin: merges across sentences

    auto* editor = window.findChild<QPlainTextEdit*>();
    QVERIFY(editor);
    QSignalSpy errors(&context, &AppContext::errorOccurred);
    QSignalSpy progress(&context, &AppContext::progressChanged);
    QElapsedTimer clock;
    clock.start();
    editor->setPlainText(text);  // what a paste does: one textChanged
    const qint64 paste_ms = clock.elapsed();
    QVERIFY2(context.encoding().size() >= 10000, qPrintable(QString::number(context.encoding().size())));
    QCOMPARE(errors.count(), 1);
    const QString message = errors.at(0).at(0).toString();
    qInfo("refused: %s", qPrintable(message));
    QVERIFY2(
        message.contains(QStringLiteral("tokens is more than")) && message.contains(QStringLiteral("GiB")),
        qPrintable(message));
    // Nothing was posted to the worker: no forward pass was announced.
    for (const auto& p : progress)
      QVERIFY2(!p.at(1).toString().contains(QStringLiteral("forward pass")), qPrintable(p.at(1).toString()));
    QTRY_VERIFY_WITH_TIMEOUT(!context.busy(), 5000);

    // The UI stays responsive: a timer posted now fires within a second, with the chips laid out.
    QElapsedTimer idle;
    idle.start();
    bool fired = false;
    QTimer::singleShot(0, this, [&] { fired = true; });
    QTRY_VERIFY_WITH_TIMEOUT(fired, 5000);
    const qint64 loop_ms = idle.elapsed();
    qInfo("paste of %d tokens: %lld ms in setPlainText (tokenize + refuse), next event after %lld ms",
          static_cast<int>(context.encoding().size()), paste_ms, loop_ms);
    QVERIFY2(paste_ms < 2000, qPrintable(QString::number(paste_ms)));
    QVERIFY2(loop_ms < 2000, qPrintable(QString::number(loop_ms)));

    // A short text afterwards is analysed as usual.
    QSignalSpy again(&context, &AppContext::analysisFinished);
    editor->setPlainText(QStringLiteral("The end."));
    QVERIFY(again.wait(60000));
  }
};

QTEST_MAIN(TestLongPaste)
#include "test_long_paste.moc"

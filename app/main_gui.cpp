// tensorlens: the TensorLens Studio GUI. Starts on the embedded default model (or --model DIR)
// with the sample sentence on first start (later: the last text). --screenshot FILE grabs the
// main window once the first analysis is drawn and quits, for docs and tests; --view NAME opens one
// of the analysis views (layers, compare, jacobian, logit-lens, activations, evaluation) first, and the
// screenshot then waits for that view. --compare opens the two-model window too (the screenshot is
// then of that window once both models have drawn); --show-models opens the model picker's list.
#include <QApplication>
#include <QSettings>
#include <QCommandLineParser>
#include <QComboBox>
#include <QScreen>
#include <QStatusBar>
#include <QTimer>
#include <cstdio>
#include <memory>

#include "app/gui/analysis_views.h"
#include "app/gui/evaluation_view.h"
#include "app/gui/app_context.h"
#include "app/gui/compare_models.h"
#include "app/gui/main_window.h"
#include "app/gui/model_list.h"
#include "app/gui/workspace_session.h"

namespace {
constexpr const char* kSampleSentence = "Once upon a time, there was a little girl named Lily.";
}

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("TensorLens"));
  QApplication::setApplicationName(QStringLiteral("TensorLens Studio"));
  QApplication::setApplicationVersion(QStringLiteral(TL_VERSION));

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("TensorLens Studio: inspect transformers through the TensorLens operator"));
  parser.addHelpOption();
  parser.addVersionOption();
  const QCommandLineOption model_opt(QStringLiteral("model"), QStringLiteral("Model folder to open instead of the embedded model."), QStringLiteral("dir"));
  const QCommandLineOption text_opt(QStringLiteral("text"), QStringLiteral("Sentence to analyse."), QStringLiteral("text"));
  const QCommandLineOption method_opt(QStringLiteral("method"), QStringLiteral("Method shown by the heatmap (see tensorlens-cli methods)."), QStringLiteral("name"));
  const QCommandLineOption scope_opt(QStringLiteral("scope"), QStringLiteral("layer, upto or end-to-end."), QStringLiteral("scope"));
  const QCommandLineOption block_opt(QStringLiteral("block"), QStringLiteral("Block shown by the heatmap (1-based)."), QStringLiteral("n"));
  const QCommandLineOption shot_opt(QStringLiteral("screenshot"),
                                    QStringLiteral("Grab the window to FILE (PNG) after the first analysis, then quit. Ignores saved settings."),
                                    QStringLiteral("file"));
  const QCommandLineOption size_opt(QStringLiteral("size"), QStringLiteral("Window size, e.g. 1400x900."), QStringLiteral("WxH"));
  const QCommandLineOption view_opt(QStringLiteral("view"),
                                    QStringLiteral("View to open: %1.").arg(tl::app::AnalysisViews::names().join(QStringLiteral(", "))),
                                    QStringLiteral("name"));
  const QCommandLineOption compare_opt(QStringLiteral("compare"),
                                       QStringLiteral("Also open the two-model window (View > Compare models); with "
                                                      "--screenshot, grab that window."));
  const QCommandLineOption model_b_opt(QStringLiteral("model-b"),
                                       QStringLiteral("Model folder for slot B of --compare (default: the embedded model)."),
                                       QStringLiteral("dir"));
  const QCommandLineOption models_opt(QStringLiteral("show-models"),
                                      QStringLiteral("Open the model picker's list once the first analysis is drawn (with "
                                                     "--screenshot: the screen is grabbed, so the list shows)."));
  const QCommandLineOption device_opt(
      QStringLiteral("device"),
      QStringLiteral("Where analyses run: auto (a GPU if Vulkan has one, else the CPU), cpu, or a Vulkan device "
                     "index or part of its name (tensorlens-cli devices lists them). Default: the View > Compute "
                     "device setting."),
      QStringLiteral("name"));
  parser.addOptions({model_opt, text_opt, method_opt, scope_opt, block_opt, shot_opt, size_opt, view_opt, compare_opt,
                     model_b_opt, models_opt, device_opt});
  parser.process(app);

  const bool screenshot = parser.isSet(shot_opt);
  tl::app::AppContext context;
  // --device wins over the saved setting (View > Compute device); screenshots ignore the setting.
  if (parser.isSet(device_opt)) context.setComputeDevice(parser.value(device_opt));
  else if (!screenshot) context.setComputeDevice(QSettings().value(QStringLiteral("compute/device"), QStringLiteral("auto")).toString());
  tl::app::MainWindow window(&context, /*restore_settings=*/!screenshot);
  if (parser.isSet(size_opt)) {
    const QStringList wh = parser.value(size_opt).split(QLatin1Char('x'));
    if (wh.size() == 2 && wh[0].toInt() > 0 && wh[1].toInt() > 0) window.resize(wh[0].toInt(), wh[1].toInt());
  }
  // The workspace (model, sentence, view) survives restarts and crashes (autosave); command-line
  // options still win. Screenshots start clean and save nothing.
  std::unique_ptr<tl::app::WorkspaceSession> workspace;
  QString restored_model;
  if (!screenshot) {
    workspace = std::make_unique<tl::app::WorkspaceSession>(&context);
    QObject::connect(workspace.get(), &tl::app::WorkspaceSession::problem, &window,
                     [&window](const QString& message) { window.statusBar()->showMessage(message, 30000); });
    restored_model = workspace->restore().model_folder;
  }
  if (parser.isSet(text_opt)) {
    context.setText(parser.value(text_opt));
  } else if (context.text().isEmpty()) {
    context.setText(QString::fromLatin1(kSampleSentence));
  }
  if (parser.isSet(method_opt)) {
    if (!tl::find_method(parser.value(method_opt).toStdString())) {
      std::fprintf(stderr, "tensorlens: unknown method '%s' (tensorlens-cli methods lists them)\n", qPrintable(parser.value(method_opt)));
      return 1;
    }
    context.setMethod(parser.value(method_opt));
  }
  if (parser.isSet(scope_opt)) {
    const QString s = parser.value(scope_opt).toLower();
    if (s == QLatin1String("layer")) context.setScope(tl::Scope::Block);
    else if (s == QLatin1String("upto")) context.setScope(tl::Scope::Through);
    else if (s == QLatin1String("end-to-end")) context.setScope(tl::Scope::EndToEnd);
    else {
      std::fprintf(stderr, "tensorlens: --scope is layer, upto or end-to-end\n");
      return 1;
    }
  }
  if (parser.isSet(block_opt)) context.setBlock(parser.value(block_opt).toInt());
  const QString view = parser.isSet(view_opt) ? parser.value(view_opt) : QStringLiteral("heatmap");
  if (!window.views()->setCurrentView(view)) {
    std::fprintf(stderr, "tensorlens: --view is one of %s\n", qPrintable(tl::app::AnalysisViews::names().join(QStringLiteral(", "))));
    return 1;
  }
  if (parser.isSet(model_opt)) {
    context.openModelFolder(parser.value(model_opt));
  } else if (!restored_model.isEmpty()) {
    context.openModelFolder(restored_model);
  } else {
    context.loadEmbeddedModel();
  }
  window.show();

  if (parser.isSet(compare_opt)) {
    // After the main window's model is in, so slot A starts from it.
    QObject::connect(&context, &tl::app::AppContext::modelChanged, &window, [&] {
      tl::app::CompareModelsWindow* compare = window.openComparison();
      if (parser.isSet(size_opt)) compare->resize(window.size());
      if (parser.isSet(model_b_opt)) compare->slotB()->context()->openModelFolder(parser.value(model_b_opt));
      if (!screenshot) return;
      const QString file = parser.value(shot_opt);
      const bool want_b = parser.isSet(model_b_opt);
      QObject::connect(compare, &tl::app::CompareModelsWindow::bothReady, compare, [compare, file, want_b] {
        // Both slots drawn for the models asked for (slot B starts on the embedded model).
        const auto& b = compare->slotB()->context()->session();
        if (!b || (want_b && b->model().source.rfind("embedded:", 0) == 0)) return;
        QTimer::singleShot(400, compare, [compare, file] {
          if (!compare->ready()) return;
          // Show the hover link: the second-to-last token of A (the sentence's last word before
          // its full stop) as if hovered, outlined in B.
          if (auto cells = compare->slotA()->context()->cells(); cells && cells->map->rows() >= 2) {
            const int i = cells->map->rows() - 2;
            compare->linkHover(compare->slotA(), i, i);
          }
          const bool ok = compare->grab().save(file, "PNG");
          if (!ok) std::fprintf(stderr, "tensorlens: cannot write %s\n", qPrintable(file));
          QApplication::exit(ok ? 0 : 1);
        });
      });
    }, Qt::SingleShotConnection);
  }

  if (screenshot) {
    const QString file = parser.value(shot_opt);
    QObject::connect(&context, &tl::app::AppContext::errorOccurred, &app, [](const QString& message) {
      std::fprintf(stderr, "tensorlens: error: %s\n", qPrintable(message));
      QApplication::exit(1);
    });
    // Grabs once the chosen view shows the first analysis (the heatmap: the map is drawn).
    const bool show_models = parser.isSet(models_opt);
    auto grab = [&window, &context, file, show_models] {
      // Let the other jobs finish (the status bar says "Ready"), layouts settle and the view
      // paint before grabbing.
      auto* poll = new QTimer(&window);
      QObject::connect(poll, &QTimer::timeout, &window, [&window, &context, file, poll, show_models] {
        if (context.busy()) return;
        poll->stop();
        if (show_models) window.modelPicker()->combo()->showPopup();
        QTimer::singleShot(show_models ? 800 : 300, &window, [&window, file, show_models] {
          // A popup list is a window of its own: grab the screen around the main window then.
          const QPixmap shot = show_models ? window.screen()->grabWindow(0).copy(window.frameGeometry()) : window.grab();
          const bool ok = shot.save(file, "PNG");
          if (!ok) std::fprintf(stderr, "tensorlens: cannot write %s\n", qPrintable(file));
          QApplication::exit(ok ? 0 : 1);
        });
      });
      poll->start(100);
    };
    QObject::connect(window.views(), &tl::app::AnalysisViews::viewReady, &app,
                     [view, grab, compare = parser.isSet(compare_opt), done = std::make_shared<bool>(false)](const QString& name) {
                       if (compare || name != view || *done) return;  // --compare: that window grabs itself
                       *done = true;
                       grab();
                     });
    // The evaluation runs only on request: start it (bundled sentences, default methods) once
    // the model is there.
    if (view == QLatin1String("evaluation")) {
      QObject::connect(&context, &tl::app::AppContext::analysisFinished, &app,
                       [&window, started = std::make_shared<bool>(false)] {
                         if (*started) return;
                         *started = true;
                         window.views()->evaluation()->run();
                       });
    }
    QTimer::singleShot(120000, &app, [] {
      std::fprintf(stderr, "tensorlens: no analysis after 120 s, giving up on the screenshot\n");
      QApplication::exit(2);
    });
  }
  return app.exec();
}

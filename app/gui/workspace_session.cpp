#include "app/gui/workspace_session.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QStandardPaths>

namespace tl::app {

namespace {

constexpr int kDefaultAutosaveMs = 10000;

const char* colormap_name(render::ColormapChoice c) {
  switch (c) {
    case render::ColormapChoice::Auto:
      return "auto";
    case render::ColormapChoice::Viridis:
      return "viridis";
    case render::ColormapChoice::Magma:
      return "magma";
    case render::ColormapChoice::Diverging:
      return "diverging";
  }
  return "auto";
}

render::ColormapChoice colormap_choice(const std::string& name) {
  if (name == "viridis") return render::ColormapChoice::Viridis;
  if (name == "magma") return render::ColormapChoice::Magma;
  if (name == "diverging") return render::ColormapChoice::Diverging;
  return render::ColormapChoice::Auto;
}

Scope scope_from(const std::string& name) {
  if (name == "layer") return Scope::Block;
  if (name == "up-to") return Scope::Through;
  return Scope::EndToEnd;
}

std::string model_source(const SessionPtr& session) {
  if (!session) return {};
  // Embedded models have "embedded:<name>" sources; folders their path.
  if (session->model().source.rfind("embedded:", 0) == 0) return std::string(kEmbeddedModelSource);
  return session->model().source;
}

// Moves a file the app could not read out of the way of the next save; returns the new name.
QString move_aside(const QString& path, const QString& suffix) {
  const QString target = path + suffix;
  QFile::remove(target);
  return QFile::rename(path, target) ? target : QString();
}

}  // namespace

WorkspaceSession::WorkspaceSession(AppContext* context, QString path, QObject* parent)
    : QObject(parent), context_(context), path_(path.isEmpty() ? defaultPath() : std::move(path)) {
  timer_.setSingleShot(true);
  timer_.setInterval(kDefaultAutosaveMs);
  connect(&timer_, &QTimer::timeout, this, [this] { (void)save(); });
  for (auto signal : {&AppContext::modelChanged, &AppContext::textChanged, &AppContext::mapChoiceChanged,
                      &AppContext::styleChanged, &AppContext::selectionChanged})
    connect(context_, signal, this, &WorkspaceSession::markDirty);
  // On quit (window closed, session ended) the last changes are written at once.
  if (QCoreApplication::instance())
    connect(QCoreApplication::instance(), &QCoreApplication::aboutToQuit, this, [this] {
      if (dirty_) (void)save();
    });
}

WorkspaceSession::~WorkspaceSession() {
  if (dirty_) (void)save();
}

QString WorkspaceSession::defaultPath() {
  const QString state = qEnvironmentVariable("XDG_STATE_HOME");
  if (!state.isEmpty()) return QDir(state).filePath(QStringLiteral("tensorlens/workspace.json"));
  return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
      .filePath(QStringLiteral("workspace.json"));
}

void WorkspaceSession::setAutosaveInterval(int milliseconds) {
  timer_.setInterval(std::max(0, milliseconds));
  if (milliseconds <= 0) timer_.stop();
}

void WorkspaceSession::markDirty() {
  dirty_ = true;
  if (timer_.interval() > 0 && !timer_.isActive()) timer_.start();
}

Workspace WorkspaceSession::snapshot() const {
  Workspace ws = base_;
  const std::string source = model_source(context_->session());
  if (!source.empty()) {
    if (ws.models.empty()) ws.models.emplace_back();
    ws.models[0].source = source;
  }
  const QByteArray text = context_->text().toUtf8();
  if (ws.sentences.empty()) ws.sentences.emplace_back();
  const int current = std::clamp(ws.current_sentence, 0, static_cast<int>(ws.sentences.size()) - 1);
  ws.current_sentence = current;
  ws.sentences[static_cast<std::size_t>(current)] = text.toStdString();
  if (ws.views.empty()) ws.views.emplace_back();
  WorkspaceView& v = ws.views[0];
  v.model = 0;
  v.sentence = current;
  const MapChoice& c = context_->mapChoice();
  v.method = c.method;
  v.scope = to_string(c.scope);
  v.block = std::max(1, c.block);
  v.head = std::max(0, c.head);
  v.selected_row = context_->selectedRow() >= 0 ? context_->selectedRow() : pending_row_;
  v.selected_col = context_->selectedRow() >= 0 ? context_->selectedCol() : pending_col_;
  if (v.selected_row < 0 || v.selected_col < 0) v.selected_row = v.selected_col = -1;
  const render::HeatmapStyle& s = context_->style();
  v.colour.colormap = colormap_name(s.colormap);
  v.colour.row_normalise = s.row_normalise;
  v.colour.log_scale = s.log_scale;
  v.colour.hide_special = s.hide_special;
  v.colour.shared_scale = context_->sharedScale();
  return ws;
}

Status WorkspaceSession::save() {
  timer_.stop();
  const Status s = save_workspace(path_.toStdString(), snapshot());
  if (!s) {
    emit problem(tr("Workspace not saved: %1").arg(QString::fromStdString(s.error().message)));
    return s;
  }
  dirty_ = false;
  emit saved();
  return s;
}

WorkspaceSession::Restored WorkspaceSession::restore() {
  const WorkspaceLoad load = load_workspace(path_.toStdString());
  Restored out;
  if (load.problem == WorkspaceProblem::Missing) return out;
  if (load.problem != WorkspaceProblem::None) {
    QString message = QString::fromStdString(load.status.error().message);
    // Keep what this build cannot read (a corrupt file, or a newer one whose extra settings the
    // next save would drop) beside the workspace.
    if (load.problem == WorkspaceProblem::Corrupt || load.problem == WorkspaceProblem::NewerVersion) {
      const QString kept =
          move_aside(path_, load.problem == WorkspaceProblem::Corrupt ? QStringLiteral(".corrupt")
                                                                      : QStringLiteral(".newer"));
      if (!kept.isEmpty()) message += tr(" (the file was kept as %1)").arg(kept);
    }
    emit problem(message);
  }
  if (load.problem == WorkspaceProblem::Corrupt) return out;

  base_ = load.workspace;
  const Workspace& ws = base_;
  if (!ws.models.empty() && !ws.models[0].embedded()) {
    const QString folder = QString::fromStdString(ws.models[0].source);
    if (QDir(folder).exists())
      out.model_folder = folder;
    else
      emit problem(
          tr("The workspace's model folder %1 is gone; the embedded model is open instead").arg(folder));
  }
  if (!ws.views.empty()) {
    const WorkspaceView& v = ws.views[0];
    render::HeatmapStyle style = context_->style();
    style.colormap = colormap_choice(v.colour.colormap);
    style.row_normalise = v.colour.row_normalise;
    style.log_scale = v.colour.log_scale;
    style.hide_special = v.colour.hide_special;
    context_->setStyle(style);
    context_->setSharedScale(v.colour.shared_scale);
    context_->setMethod(QString::fromStdString(v.method));
    context_->setScope(scope_from(v.scope));
    context_->setBlock(v.block);
    context_->setHead(v.head);
    pending_row_ = v.selected_row;
    pending_col_ = v.selected_col;
  }
  if (!ws.sentences.empty()) {
    const auto current = static_cast<std::size_t>(
        std::clamp(ws.current_sentence, 0, static_cast<int>(ws.sentences.size()) - 1));
    context_->setText(QString::fromStdString(ws.sentences[current]));
  }
  if (pending_row_ >= 0) {
    // The selection belongs to the restored text's map: apply it when that analysis is in, if it
    // still fits (a different model may tokenize differently).
    connect(
        context_, &AppContext::analysisFinished, this,
        [this] {
          const auto map = context_->map();
          if (map && pending_row_ < map->values.rows() && pending_col_ < map->values.cols())
            context_->setSelectedPair(pending_row_, pending_col_);
          pending_row_ = pending_col_ = -1;
        },
        Qt::SingleShotConnection);
  }
  out.restored = true;
  dirty_ = false;
  timer_.stop();
  return out;
}

}  // namespace tl::app

#pragma once
// WorkspaceSession: keeps the workspace file (core/workspace/workspace.h) in step with the
// AppContext so the user's work survives a restart or a crash: restore() at start applies the
// last saved models, sentence and view state; changes mark the session dirty and a timer saves
// every few seconds (atomic writes: a crash while saving keeps the previous file); save() on
// close. A newer or corrupt file is reported through problem(), never fatal; a corrupt one is
// moved aside (<file>.corrupt) before the next save replaces it, so nothing is silently lost.
//
// Limits: the app has one view and one sentence slot today; the file keeps the restored list of
// sentences and replaces the current one. Models other than the first slot are carried along
// unchanged.
#include <QObject>
#include <QString>
#include <QTimer>

#include "app/gui/app_context.h"
#include "core/workspace/workspace.h"

namespace tl::app {

class WorkspaceSession : public QObject {
  Q_OBJECT
 public:
  // `path` empty: defaultPath().
  explicit WorkspaceSession(AppContext* context, QString path = {}, QObject* parent = nullptr);
  ~WorkspaceSession() override;  // saves when dirty

  // $XDG_STATE_HOME/tensorlens/workspace.json, else QStandardPaths::AppDataLocation/workspace.json.
  static QString defaultPath();
  const QString& path() const { return path_; }

  struct Restored {
    bool restored = false;  // something was read and applied
    QString model_folder;   // the first model slot when it is a folder that exists (empty: embedded)
  };
  // Reads the file and applies the text and view state to the context (the caller loads the
  // model, so command-line options can still override it). Emits problem() for a newer or corrupt
  // file or skipped settings; a missing file is silent.
  Restored restore();

  // Saves now (also stops a pending autosave). Emits problem() when the write fails.
  Status save();
  // Autosave period; 0 turns autosave off. Default 10 s.
  void setAutosaveInterval(int milliseconds);
  bool dirty() const { return dirty_; }

  // The context's state as a workspace document.
  Workspace snapshot() const;

 signals:
  void problem(const QString& message);
  void saved();

 private:
  void markDirty();

  AppContext* context_;
  QString path_;
  QTimer timer_;
  bool dirty_ = false;
  // Restored document: slots and sentences the app does not show yet are written back unchanged.
  Workspace base_;
  // The selection to apply once the restored text has been analysed (-1: none).
  int pending_row_ = -1, pending_col_ = -1;
};

}  // namespace tl::app

#pragma once
// ModelListModel: the models the user can pick without typing a path, as a flat list (an item
// model apart from the widgets, tested with QAbstractItemModelTester):
//   row 0            the embedded default model (stories260K)
//   rows 1..n        models found in the local Hugging Face cache (core/model/hf_cache.h)
//   last row         "Open folder…"
// Cache entries that cannot be opened (no safetensors weights or no tokenizer) are listed but not
// enabled, with the reason as tooltip, so the user sees why a downloaded model is missing.
//
// ModelPicker: a combo box over that list; picking a row loads the model into the AppContext
// (loading runs on the worker). It shows the loaded model and follows AppContext::modelChanged.
#include <QAbstractListModel>
#include <QWidget>
#include <filesystem>
#include <vector>

#include "app/gui/app_context.h"
#include "core/model/hf_cache.h"

class QComboBox;
class QMenu;

namespace tl::app {

class ModelListModel : public QAbstractListModel {
  Q_OBJECT
 public:
  enum Kind { Embedded, Cached, OpenFolder };
  enum Role { KindRole = Qt::UserRole + 1, FolderRole };
  explicit ModelListModel(QObject* parent = nullptr);

  // Scans these cache roots (default: hf_cache_roots(HfCacheEnv::from_process())).
  void setCacheRoots(std::vector<std::filesystem::path> roots);
  void rescan();
  const std::vector<CachedModel>& cached() const { return cached_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  // Row of the model loaded from `source` (Model::source: "embedded:..." or a folder), -1 if none.
  int rowForSource(const std::string& source) const;

 private:
  Kind kindOf(int row) const;
  std::vector<std::filesystem::path> roots_;
  std::vector<CachedModel> cached_;
};

// Why a cached model cannot be opened ("" when it can).
QString cached_model_problem(const CachedModel& m);

class ModelPicker : public QWidget {
  Q_OBJECT
 public:
  explicit ModelPicker(AppContext* context, QWidget* parent = nullptr);
  ModelListModel* list() const { return list_; }
  QComboBox* combo() const { return combo_; }
  // Loads the model of a row (Open folder… asks for a folder).
  void activate(int row);
  // Fills a menu with the cached models (File > Hugging Face cache), rescanning first.
  void fillCacheMenu(QMenu* menu);

 private:
  void showLoaded();
  AppContext* context_;
  ModelListModel* list_;
  QComboBox* combo_;
};

}  // namespace tl::app

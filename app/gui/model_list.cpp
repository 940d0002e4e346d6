#include "app/gui/model_list.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QMenu>
#include <QSignalBlocker>
#include <QToolButton>

namespace tl::app {

QString cached_model_problem(const CachedModel& m) {
  if (!m.has_safetensors)
    return QObject::tr("no safetensors weights in this snapshot (only .bin files are not read)");
  if (!m.has_tokenizer)
    return QObject::tr("no tokenizer (tokenizer.json, vocab.json + merges.txt or vocab.txt)");
  return {};
}

// ---------------------------------------------------------------- ModelListModel

ModelListModel::ModelListModel(QObject* parent) : QAbstractListModel(parent) {
  roots_ = hf_cache_roots(HfCacheEnv::from_process());
  cached_ = scan_hf_cache(roots_);
}

void ModelListModel::setCacheRoots(std::vector<std::filesystem::path> roots) {
  roots_ = std::move(roots);
  rescan();
}

void ModelListModel::rescan() {
  beginResetModel();
  cached_ = scan_hf_cache(roots_);
  endResetModel();
}

int ModelListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(cached_.size()) + 2;
}

ModelListModel::Kind ModelListModel::kindOf(int row) const {
  if (row == 0) return Embedded;
  return row <= static_cast<int>(cached_.size()) ? Cached : OpenFolder;
}

QVariant ModelListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || !checkIndex(index)) return {};
  const Kind kind = kindOf(index.row());
  if (role == KindRole) return int(kind);
  if (kind == Embedded) {
    if (role == Qt::DisplayRole) return tr("stories260K (embedded)");
    if (role == Qt::ToolTipRole)
      return tr("The small Llama model compiled into the program (no files needed)");
    return {};
  }
  if (kind == OpenFolder) {
    if (role == Qt::DisplayRole) return tr("Open folder\u2026");
    if (role == Qt::ToolTipRole) return tr("A folder with config.json, safetensors weights and a tokenizer");
    return {};
  }
  const CachedModel& m = cached_[static_cast<std::size_t>(index.row() - 1)];
  const QString folder = QString::fromStdString(m.folder.string());
  switch (role) {
    case Qt::DisplayRole:
      return QString::fromStdString(m.display());
    case FolderRole:
      return folder;
    case Qt::ToolTipRole: {
      const QString problem = cached_model_problem(m);
      QString tip = tr("Hugging Face cache, revision %1%2\n%3")
                        .arg(QString::fromStdString(m.revision.substr(0, 12)),
                             m.is_main ? tr(" (main)") : QString(), folder);
      if (!problem.isEmpty()) tip += tr("\nCannot open: %1").arg(problem);
      return tip;
    }
    default:
      return {};
  }
}

Qt::ItemFlags ModelListModel::flags(const QModelIndex& index) const {
  if (!index.isValid() || !checkIndex(index)) return Qt::NoItemFlags;  // the tester asks for the root too
  if (kindOf(index.row()) == Cached &&
      !cached_model_problem(cached_[static_cast<std::size_t>(index.row() - 1)]).isEmpty()) {
    return Qt::ItemNeverHasChildren;  // listed, not selectable
  }
  return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren;
}

int ModelListModel::rowForSource(const std::string& source) const {
  if (source.rfind("embedded:", 0) == 0) return 0;
  std::error_code ec;
  for (std::size_t k = 0; k < cached_.size(); ++k) {
    if (std::filesystem::equivalent(cached_[k].folder, std::filesystem::path(source), ec))
      return static_cast<int>(k) + 1;
  }
  return -1;
}

// ---------------------------------------------------------------- ModelPicker

ModelPicker::ModelPicker(AppContext* context, QWidget* parent) : QWidget(parent), context_(context) {
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  list_ = new ModelListModel(this);
  combo_ = new QComboBox(this);
  combo_->setModel(list_);
  combo_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  combo_->setMinimumContentsLength(16);
  combo_->setToolTip(tr("The embedded model, models in the Hugging Face cache, or any folder"));
  auto* rescan = new QToolButton(this);
  rescan->setText(tr("\u21bb"));
  rescan->setToolTip(tr("Scan the Hugging Face cache again"));
  layout->addWidget(combo_, 1);
  layout->addWidget(rescan);
  connect(combo_, &QComboBox::activated, this, &ModelPicker::activate);
  connect(rescan, &QToolButton::clicked, this, [this] {
    list_->rescan();
    showLoaded();
  });
  connect(context_, &AppContext::modelChanged, this, &ModelPicker::showLoaded);
  showLoaded();
}

void ModelPicker::activate(int row) {
  const QModelIndex index = list_->index(row);
  if (!index.isValid() || !list_->flags(index).testFlag(Qt::ItemIsEnabled)) return;
  switch (static_cast<ModelListModel::Kind>(index.data(ModelListModel::KindRole).toInt())) {
    case ModelListModel::Embedded:
      context_->loadEmbeddedModel();
      break;
    case ModelListModel::Cached:
      context_->openModelFolder(index.data(ModelListModel::FolderRole).toString());
      break;
    case ModelListModel::OpenFolder: {
      showLoaded();  // the combo goes back to the loaded model while the dialog is open
      const QString dir = QFileDialog::getExistingDirectory(this, tr("Open model folder"));
      if (!dir.isEmpty()) context_->openModelFolder(dir);
      break;
    }
  }
}

void ModelPicker::showLoaded() {
  const QSignalBlocker block(combo_);
  const auto& s = context_->session();
  const int row = s ? list_->rowForSource(s->model().source) : -1;
  if (row >= 0) {
    combo_->setCurrentIndex(row);
    combo_->setToolTip(list_->index(row).data(Qt::ToolTipRole).toString());
  } else {
    // A folder outside the cache: shown as editable text is overkill; the combo says so instead.
    combo_->setCurrentIndex(-1);
    combo_->setPlaceholderText(s ? QString::fromStdString(s->display_name()) : tr("(no model)"));
  }
}

void ModelPicker::fillCacheMenu(QMenu* menu) {
  menu->clear();
  list_->rescan();
  showLoaded();
  if (list_->cached().empty()) {
    QAction* none = menu->addAction(tr("No models in the Hugging Face cache"));
    none->setEnabled(false);
    return;
  }
  for (int row = 1; row <= static_cast<int>(list_->cached().size()); ++row) {
    const QModelIndex index = list_->index(row);
    QAction* a = menu->addAction(index.data().toString(), this, [this, row] { activate(row); });
    a->setToolTip(index.data(Qt::ToolTipRole).toString());
    a->setEnabled(list_->flags(index).testFlag(Qt::ItemIsEnabled));
  }
}

}  // namespace tl::app

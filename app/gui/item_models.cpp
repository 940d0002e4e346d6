#include "app/gui/item_models.h"

#include "render/figure.h"

namespace tl::app {

QString chip_text(const std::string& display_token) {
  QString s = render::visible_label(display_token);
  s.replace(QLatin1Char(' '), QChar(0x00b7));
  return s.isEmpty() ? QStringLiteral("\u2205") : s;
}

// ---------------------------------------------------------------- TokenListModel

TokenListModel::TokenListModel(AppContext* context, QObject* parent) : QAbstractTableModel(parent), context_(context) {
  connect(context_, &AppContext::encodingChanged, this, [this] {
    beginResetModel();
    endResetModel();
  });
}

int TokenListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(context_->encoding().size());
}

int TokenListModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant TokenListModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
  const auto& e = context_->encoding();
  const auto row = static_cast<std::size_t>(index.row());
  if (role == SpecialRole) return bool(e.special[row]);
  if (role == IdRole) return e.ids[row];
  if (role == Qt::ToolTipRole) {
    return tr("token %1: id %2, piece \"%3\"").arg(index.row()).arg(e.ids[row]).arg(QString::fromStdString(e.tokens[row]));
  }
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case Position: return index.row();
    case Text: return chip_text(context_->tokenLabels()[row]);
    case Id: return e.ids[row];
    case Span: return QStringLiteral("%1..%2").arg(e.spans[row].first).arg(e.spans[row].second);
    default: return {};
  }
}

QVariant TokenListModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
  switch (section) {
    case Position: return tr("#");
    case Text: return tr("Token");
    case Id: return tr("Id");
    case Span: return tr("Bytes");
    default: return {};
  }
}

// ---------------------------------------------------------------- PredictionsModel

PredictionsModel::PredictionsModel(AppContext* context, QObject* parent)
    : QAbstractTableModel(parent), context_(context) {
  auto refresh = [this] {
    beginResetModel();
    shown_ = context_->analysis();
    endResetModel();
  };
  connect(context_, &AppContext::analysisChanged, this, refresh);
  connect(context_, &AppContext::modelChanged, this, refresh);
}

int PredictionsModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() || !shown_ ? 0 : static_cast<int>(shown_->predictions.size());
}

int PredictionsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant PredictionsModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
  const Prediction& p = shown_->predictions[static_cast<std::size_t>(index.row())];
  if (role == ProbabilityRole) return p.probability;
  if (role == IdRole) return p.id;
  if (role == Qt::ToolTipRole) return tr("id %1, p = %2").arg(p.id).arg(p.probability, 0, 'g', 6);
  if (role == Qt::TextAlignmentRole) {
    return index.column() == Token ? QVariant(Qt::AlignLeft | Qt::AlignVCenter) : QVariant(Qt::AlignRight | Qt::AlignVCenter);
  }
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case Rank: return index.row() + 1;
    case Token: return chip_text(p.token);
    case Probability: return QStringLiteral("%1%").arg(100.0 * p.probability, 0, 'f', 1);
    default: return {};
  }
}

QVariant PredictionsModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
  switch (section) {
    case Rank: return tr("#");
    case Token: return tr("Token");
    case Probability: return tr("Probability");
    default: return {};
  }
}

}  // namespace tl::app

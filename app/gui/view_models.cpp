#include "app/gui/view_models.h"

#include <QBrush>
#include <QColor>
#include <cmath>

#include "app/gui/item_models.h"
#include "core/tokenizer/tokenizer.h"
#include "render/colormap.h"

namespace tl::app {

QString format_correlation(double v) { return std::isnan(v) ? QStringLiteral("\u2013") : QString::number(v, 'f', 3); }

// ---------------------------------------------------------------- RowCorrelationModel

RowCorrelationModel::RowCorrelationModel(QObject* parent) : QAbstractTableModel(parent) {}

void RowCorrelationModel::setComparison(std::shared_ptr<const Comparison> comparison) {
  beginResetModel();
  c_ = std::move(comparison);
  endResetModel();
}

int RowCorrelationModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() || !c_ ? 0 : static_cast<int>(c_->row_cells.size());
}

int RowCorrelationModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant RowCorrelationModel::data(const QModelIndex& index, int role) const {
  if (!c_ || !index.isValid() || index.row() >= rowCount()) return {};
  const auto r = static_cast<std::size_t>(index.row());
  const double value = index.column() == Spearman ? c_->row_spearman[r] : index.column() == Kendall ? c_->row_kendall[r] : NAN;
  if (role == ValueRole) {
    if (index.column() == Cells) return c_->row_cells[r];
    return index.column() == Spearman || index.column() == Kendall ? QVariant(value) : QVariant();
  }
  if (role == Qt::TextAlignmentRole && index.column() != Token) return int(Qt::AlignRight | Qt::AlignVCenter);
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case Row: return index.row();
    case Token:
      return r < c_->a->row_labels.size() ? chip_text(c_->a->row_labels[r]) : QString();
    case Cells: return c_->row_cells[r];
    case Spearman:
    case Kendall: return format_correlation(value);
    default: return {};
  }
}

QVariant RowCorrelationModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
  switch (section) {
    case Row: return tr("row");
    case Token: return tr("token");
    case Cells: return tr("cells");
    case Spearman: return tr("Spearman \u03c1");
    case Kendall: return tr("Kendall \u03c4-b");
    default: return {};
  }
}

// ---------------------------------------------------------------- LogitLensModel

LogitLensModel::LogitLensModel(QObject* parent) : QAbstractTableModel(parent) {}

void LogitLensModel::setLens(std::shared_ptr<const LogitLens> lens, std::vector<std::string> labels,
                             std::shared_ptr<const Tokenizer> tokenizer) {
  beginResetModel();
  lens_ = std::move(lens);
  labels_ = std::move(labels);
  tokenizer_ = std::move(tokenizer);
  endResetModel();
}

int LogitLensModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() || !lens_ ? 0 : static_cast<int>(lens_->probability.cols());
}

int LogitLensModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() || !lens_ ? 0 : static_cast<int>(lens_->probability.rows());
}

QString LogitLensModel::token(int id) const {
  return tokenizer_ ? chip_text(tokenizer_->display_token(id)) : QStringLiteral("#%1").arg(id);
}

QVariant LogitLensModel::data(const QModelIndex& index, int role) const {
  if (!lens_ || !index.isValid() || index.row() >= rowCount() || index.column() >= columnCount()) return {};
  const int i = index.row(), s = index.column();
  const double p = lens_->probability(s, i);
  const int rank = lens_->rank(s, i);
  const auto& top = lens_->top[static_cast<std::size_t>(s)][static_cast<std::size_t>(i)];
  switch (role) {
    case ProbabilityRole: return p;
    case RankRole: return rank;
    case TopTokenRole: return top.empty() ? -1 : top.front().first;
    case Qt::DisplayRole:
      return (top.empty() ? QString() : token(top.front().first)) +
             tr("\n#%1 \u00b7 %2").arg(rank + 1).arg(QString::number(p, 'f', 2));
    case Qt::BackgroundRole: return QBrush(QColor::fromRgb(render::Colormap::get(render::ColormapKind::Viridis).at(p)));
    case Qt::ForegroundRole: return QBrush(p > 0.55 ? Qt::black : Qt::white);  // viridis turns light above ~0.55
    case Qt::TextAlignmentRole: return int(Qt::AlignCenter);
    case Qt::ToolTipRole: {
      QString tip = tr("<b>%1</b>, position %2 \u201c%3\u201d<br>final prediction \u201c%4\u201d: rank %5, p = %6<br>top %7 here:")
                        .arg(headerData(s, Qt::Horizontal).toString())
                        .arg(i)
                        .arg(i < static_cast<int>(labels_.size()) ? chip_text(labels_[static_cast<std::size_t>(i)]).toHtmlEscaped() : QString())
                        .arg(token(lens_->predicted[static_cast<std::size_t>(i)]).toHtmlEscaped())
                        .arg(rank + 1)
                        .arg(QString::number(p, 'g', 3))
                        .arg(top.size());
      for (const auto& [id, prob] : top) tip += tr("<br>&nbsp;&nbsp;%1 &nbsp;%2").arg(token(id).toHtmlEscaped(), QString::number(prob, 'f', 3));
      return tip;
    }
    default: return {};
  }
}

QVariant LogitLensModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
  if (orientation == Qt::Horizontal) return section == 0 ? tr("embeddings") : tr("block %1").arg(section);
  if (section >= 0 && section < static_cast<int>(labels_.size())) {
    return QStringLiteral("%1  %2").arg(section).arg(chip_text(labels_[static_cast<std::size_t>(section)]));
  }
  return section;
}

}  // namespace tl::app

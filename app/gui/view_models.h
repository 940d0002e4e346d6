#pragma once
// Qt item models of the analysis views, kept apart from the widgets (tested with
// QAbstractItemModelTester). Each shows one computed result and resets when given a new one.
//   RowCorrelationModel  the comparison view's per-row rank correlations
//   LogitLensModel       the logit lens: stages x positions, top token and the final prediction's rank
#include <QAbstractTableModel>
#include <memory>

#include "app/gui/comparison.h"

namespace tl {
class Tokenizer;
}

namespace tl::app {

class RowCorrelationModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { Row, Token, Cells, Spearman, Kendall, ColumnCount };
  enum Role { ValueRole = Qt::UserRole + 1 };  // the number itself (NaN when undefined)
  explicit RowCorrelationModel(QObject* parent = nullptr);
  void setComparison(std::shared_ptr<const Comparison> comparison);
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  std::shared_ptr<const Comparison> c_;
};

// Rows: positions; columns: stages 0..L (0 = the embeddings, l = block l's output). A cell shows
// the top token at that stage and the rank and probability of the position's final prediction;
// its background is that probability on the viridis scale; the tooltip lists the top k.
class LogitLensModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Role { ProbabilityRole = Qt::UserRole + 1, RankRole, TopTokenRole };
  explicit LogitLensModel(QObject* parent = nullptr);
  // labels: the positions' tokens (row headers).
  void setLens(std::shared_ptr<const LogitLens> lens, std::vector<std::string> labels,
               std::shared_ptr<const Tokenizer> tokenizer);
  const LogitLens* lens() const { return lens_.get(); }
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  QString token(int id) const;
  std::shared_ptr<const LogitLens> lens_;
  std::vector<std::string> labels_;
  std::shared_ptr<const Tokenizer> tokenizer_;
};

// "0.731", or an en dash when undefined (NaN).
QString format_correlation(double v);

}  // namespace tl::app

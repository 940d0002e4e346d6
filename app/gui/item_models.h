#pragma once
// Qt item models over the application context, kept apart from the widgets that show them (and
// tested with QAbstractItemModelTester). Both are flat tables that reset when the context changes.
#include <QAbstractTableModel>

#include "app/gui/app_context.h"

namespace tl::app {

// Tokens of the current text: position, display text, id, byte span, special flag.
class TokenListModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { Position, Text, Id, Span, ColumnCount };
  enum Role { SpecialRole = Qt::UserRole + 1, IdRole };
  explicit TokenListModel(AppContext* context, QObject* parent = nullptr);
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  AppContext* context_;
};

// Top-k predictions of the current analysis: rank, token, probability.
class PredictionsModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { Rank, Token, Probability, ColumnCount };
  enum Role { ProbabilityRole = Qt::UserRole + 1, IdRole };
  explicit PredictionsModel(AppContext* context, QObject* parent = nullptr);
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  AppContext* context_;
  std::shared_ptr<const Analysis> shown_;  // what the rows describe (reset together)
};

// A token as shown in chips and lists: leading/trailing spaces as "·", control characters visible.
QString chip_text(const std::string& display_token);

}  // namespace tl::app

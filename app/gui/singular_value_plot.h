#pragma once
// SingularValuePlot: singular values of one or more D x D blocks against their index, on a log
// scale (they span orders of magnitude), drawn with QPainter: axes with ticks, one coloured line
// with markers per series, and a legend.
#include <QColor>
#include <QString>
#include <QWidget>
#include <vector>

namespace tl::app {

class SingularValuePlot : public QWidget {
  Q_OBJECT
 public:
  struct Series {
    QString name;
    QColor colour;
    std::vector<double> values;  // descending
  };
  explicit SingularValuePlot(QWidget* parent = nullptr);
  void setSeries(std::vector<Series> series);
  const std::vector<Series>& series() const { return series_; }
  // The plotted log10 range (after flooring zeros at 1e-6 of the largest value), for tests.
  double logLo() const { return lo_; }
  double logHi() const { return hi_; }

  QSize sizeHint() const override { return {420, 260}; }
  QSize minimumSizeHint() const override { return {260, 180}; }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  std::vector<Series> series_;
  double lo_ = -1, hi_ = 0;  // log10 axis range
};

}  // namespace tl::app

#pragma once
// ExportDialog: where and how to export the current view: file (the extension picks PNG, SVG or
// PDF), size in pixels, resolution, and whether existing files may be replaced (off by default:
// exports never overwrite silently). The provenance JSON always goes beside the figure.
#include <QDialog>

#include "render/export.h"

class QCheckBox;
class QLineEdit;
class QSpinBox;

namespace tl::app {

class ExportDialog : public QDialog {
  Q_OBJECT
 public:
  explicit ExportDialog(const QString& suggested_path, QWidget* parent = nullptr);
  QString path() const;
  render::ExportOptions options() const;

 private:
  void browse();
  void updateAcceptable();

  QLineEdit* path_;
  QSpinBox* width_;
  QSpinBox* height_;
  QSpinBox* dpi_;
  QCheckBox* overwrite_;
  QPushButton* ok_ = nullptr;
};

}  // namespace tl::app

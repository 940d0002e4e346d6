#pragma once
// ExportDialog: where and how to export the current view: file (the extension picks PNG, SVG,
// PDF, or CSV/NPY for the numbers), size in pixels, resolution, and whether existing files may be
// replaced (off by default: exports never overwrite silently). The provenance JSON always goes
// beside the file. In folder mode (File > Export every layer) it asks for a folder and a format.
#include <QDialog>

#include "render/export.h"

class QCheckBox;
class QComboBox;
class QLineEdit;
class QSpinBox;

namespace tl::app {

class ExportDialog : public QDialog {
  Q_OBJECT
 public:
  enum class Target { File, Folder };
  explicit ExportDialog(const QString& suggested_path, QWidget* parent = nullptr, Target target = Target::File);
  QString path() const;  // the file, or the folder in folder mode
  render::ExportOptions options() const;
  // Folder mode: the chosen format; file mode: the path's extension (nullopt when unknown).
  std::optional<render::ExportFormat> format() const;
  QComboBox* formatBox() const { return format_; }  // null in file mode

 private:
  void browse();
  void updateAcceptable();

  QLineEdit* path_;
  QSpinBox* width_;
  QSpinBox* height_;
  QSpinBox* dpi_;
  QCheckBox* overwrite_;
  QComboBox* format_ = nullptr;
  Target target_;
  QPushButton* ok_ = nullptr;
};

}  // namespace tl::app

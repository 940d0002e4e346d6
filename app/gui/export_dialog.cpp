#include "app/gui/export_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>

namespace tl::app {

ExportDialog::ExportDialog(const QString& suggested_path, QWidget* parent, Target target) : QDialog(parent), target_(target) {
  const bool folder = target_ == Target::Folder;
  setWindowTitle(folder ? tr("Export every layer") : tr("Export view"));
  auto* form = new QFormLayout(this);
  auto* file_row = new QHBoxLayout;
  path_ = new QLineEdit(suggested_path, this);
  path_->setMinimumWidth(360);
  path_->setToolTip(folder ? tr("One file per block goes into this folder, with one provenance JSON")
                           : tr("The extension chooses the format: .png, .svg, .pdf (figure) or .csv, .npy (numbers)"));
  auto* browse = new QToolButton(this);
  browse->setText(tr("Browse\u2026"));
  file_row->addWidget(path_, 1);
  file_row->addWidget(browse);
  form->addRow(folder ? tr("Folder") : tr("File"), file_row);
  if (folder) {
    format_ = new QComboBox(this);
    for (const char* f : {"png", "svg", "pdf", "csv", "npy"}) format_->addItem(QString::fromLatin1(f));
    format_->setToolTip(tr("PNG, SVG, PDF: figures; CSV, NPY: the numbers of each block"));
    form->addRow(tr("Format"), format_);
  }

  const render::ExportOptions defaults;
  auto spin = [this](int lo, int hi, int value, const QString& suffix) {
    auto* s = new QSpinBox(this);
    s->setRange(lo, hi);
    s->setValue(value);
    s->setSuffix(suffix);
    return s;
  };
  width_ = spin(64, 20000, defaults.size.width(), tr(" px"));
  height_ = spin(64, 20000, defaults.size.height(), tr(" px"));
  dpi_ = spin(36, 1200, static_cast<int>(defaults.dpi), tr(" dpi"));
  dpi_->setToolTip(tr("Labels keep their printed size: a higher resolution makes them more pixels tall"));
  form->addRow(tr("Width"), width_);
  form->addRow(tr("Height"), height_);
  form->addRow(tr("Resolution"), dpi_);
  overwrite_ = new QCheckBox(tr("Replace existing files"), this);
  form->addRow(QString(), overwrite_);

  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  ok_ = buttons->button(QDialogButtonBox::Ok);
  ok_->setText(tr("Export"));
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(browse, &QToolButton::clicked, this, &ExportDialog::browse);
  connect(path_, &QLineEdit::textChanged, this, &ExportDialog::updateAcceptable);
  updateAcceptable();
}

QString ExportDialog::path() const { return path_->text().trimmed(); }

render::ExportOptions ExportDialog::options() const {
  render::ExportOptions o;
  o.size = QSize(width_->value(), height_->value());
  o.dpi = dpi_->value();
  o.overwrite = overwrite_->isChecked();
  return o;
}

std::optional<render::ExportFormat> ExportDialog::format() const {
  if (format_) return render::format_for_path("x." + format_->currentText().toStdString());
  return render::format_for_path(path().toStdString());
}

void ExportDialog::browse() {
  if (target_ == Target::Folder) {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export every layer"), path());
    if (!dir.isEmpty()) path_->setText(dir);
    return;
  }
  // No confirmation here: replacing is decided by the checkbox, and refused otherwise.
  const QString p = QFileDialog::getSaveFileName(
      this, tr("Export view"), path(),
      tr("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf);;CSV table (*.csv);;NumPy array (*.npy)"), nullptr,
      QFileDialog::DontConfirmOverwrite);
  if (!p.isEmpty()) path_->setText(p);
}

void ExportDialog::updateAcceptable() {
  ok_->setEnabled(target_ == Target::Folder ? !path().isEmpty() : format().has_value());
}

}  // namespace tl::app

#include <QApplication>
#include <QLabel>

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QLabel label("TensorLens Studio");
  label.show();
  return app.exec();
}

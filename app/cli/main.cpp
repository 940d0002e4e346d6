#include <cstdio>
int main() { std::puts("tensorlens-cli"); return 0; }

// OpenBLAS's CBLAS interface plus its thread-count controls.
// Debian's libopenblas-dev installs cblas.h under the multiarch include directory.
#include <cblas.h>

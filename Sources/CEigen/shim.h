// Eigen is C++ only; Swift sees an empty module. The target exists so that the
// kernels get Eigen's include path from pkg-config.
#if defined(__cplusplus)
#include <Eigen/Core>
#endif

// Eigen is C++ only; Swift sees an empty module. The target gives the peer
// shim Eigen's include path from pkg-config.
#if defined(__cplusplus)
#include <Eigen/Core>
#endif

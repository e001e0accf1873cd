// Symmetric eigen-decomposition through Eigen's self-adjoint solver
// (tridiagonalisation, then implicit symmetric QR): accurate for the small
// covariance and Gram matrices the library needs, and sorted ascending.
#include <Eigen/Dense>

#include "common/guard.h"
#include "fovea_kernels.h"

namespace {

constexpr int kMaxOrder = 64;

// Bounded by kMaxOrder, so Eigen keeps everything inline (about 35 KB of
// stack) and the call never touches the heap, as the C API promises.
using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor, kMaxOrder,
                             kMaxOrder>;
using Vector = Eigen::Matrix<double, Eigen::Dynamic, 1, 0, kMaxOrder, 1>;

}  // namespace

extern "C" fovea_status fovea_linalg_symmetric_eigen(int32_t n, const double *matrix,
                                                     double *eigenvalues,
                                                     double *eigenvectors) {
    if (n < 0 || n > kMaxOrder) return FOVEA_STATUS_INVALID_ARGUMENT;
    return fovea::guarded([&] {
        if (n == 0) return FOVEA_STATUS_SUCCESS;
        // The solver reads only the lower triangle; the input is assumed symmetric.
        const Eigen::Map<const Matrix> a(matrix, n, n);
        Eigen::SelfAdjointEigenSolver<Matrix> solver(n);
        solver.compute(a, Eigen::ComputeEigenvectors);
        if (solver.info() != Eigen::Success) return FOVEA_STATUS_INTERNAL_ERROR;
        Eigen::Map<Vector>(eigenvalues, n) = solver.eigenvalues();
        Eigen::Map<Matrix>(eigenvectors, n, n) = solver.eigenvectors();
        return FOVEA_STATUS_SUCCESS;
    });
}

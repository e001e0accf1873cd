// Symmetric eigen-decomposition through Eigen's self-adjoint solver (QR
// iterations on the tridiagonal form): exact enough for the small covariance
// and Gram matrices the library needs, and sorted ascending by construction.
#include <Eigen/Dense>

#include "common/guard.h"
#include "fovea_kernels.h"

extern "C" fovea_status fovea_linalg_symmetric_eigen(int32_t n, const double *matrix,
                                                     double *eigenvalues,
                                                     double *eigenvectors) {
    if (n < 0 || n > 64) return FOVEA_STATUS_INVALID_ARGUMENT;
    return fovea::guarded([&] {
        if (n == 0) return FOVEA_STATUS_SUCCESS;
        using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        // The solver reads only the lower triangle; the input is assumed symmetric.
        const Eigen::Map<const RowMajor> a(matrix, n, n);
        Eigen::SelfAdjointEigenSolver<RowMajor> solver(a, Eigen::ComputeEigenvectors);
        if (solver.info() != Eigen::Success) return FOVEA_STATUS_INTERNAL_ERROR;
        Eigen::Map<Eigen::VectorXd>(eigenvalues, n) = solver.eigenvalues();
        Eigen::Map<RowMajor>(eigenvectors, n, n) = solver.eigenvectors();
        return FOVEA_STATUS_SUCCESS;
    });
}

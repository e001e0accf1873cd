#include "eigen_peer.h"

#include <Eigen/Core>

extern "C" void fovea_bench_eigen_sgemm(int64_t m, int64_t n, int64_t k, const float *a, const float *b, float *c) {
    using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::Map<const Matrix> left(a, m, k), right(b, k, n);
    Eigen::Map<Matrix> product(c, m, n);
    product.noalias() = left * right;
}

#pragma once
/// CCLBENCH_HD marks pure functions that CUDA kernels share with host code. Defining it needs no
/// CUDA header: nvcc predefines __CUDACC__, host compilers see an empty macro.

#if defined(__CUDACC__)
#define CCLBENCH_HD __host__ __device__
#else
#define CCLBENCH_HD
#endif

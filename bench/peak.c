/*
 * The machine's FP32 peak, measured: every thread runs independent AVX-512 fused multiply-adds
 * (16 accumulators, enough to cover the FMA latency on two ports) for about a second; the best of
 * five runs is printed in GFLOP/s (2 FLOP per lane per FMA). bench/run.sh builds it with gcc.
 *
 * Build: gcc -O3 -march=native -fopenmp bench/peak.c -o peak; run: OMP_NUM_THREADS=2 ./peak
 */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
    const long iters = 40000000;
    double best = 0, sink = 0;
    for (int run = 0; run < 5; run++) {
        double start = now();
#pragma omp parallel reduction(+ : sink)
        {
            __m512 acc[16];
            const __m512 scale = _mm512_set1_ps(0.9999999f), add = _mm512_set1_ps(1e-7f);
            for (int k = 0; k < 16; k++) {
                acc[k] = _mm512_set1_ps((float) k);
            }
            for (long i = 0; i < iters; i++) {
#pragma GCC unroll 16
                for (int k = 0; k < 16; k++) {
                    acc[k] = _mm512_fmadd_ps(acc[k], scale, add);
                }
            }
            for (int k = 0; k < 16; k++) {
                sink += _mm512_reduce_add_ps(acc[k]);  // keeps the work from being optimised away
            }
        }
        double gflops = (double) iters * 16 * 32 * omp_get_max_threads() / (now() - start) / 1e9;
        best = gflops > best ? gflops : best;
    }
    printf("%.1f\n", best);
    fprintf(stderr, "(%g)\n", sink);
    return 0;
}

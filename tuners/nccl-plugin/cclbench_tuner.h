/* The control symbol of libnccl-tuner-cclbench.so, for cclbench's own NCCL backend while it
 * tunes: one communicator serves every candidate, the candidate being forced through this call
 * instead of a re-initialised communicator per trial. Find it with dlopen(RTLD_NOLOAD) on the
 * plugin NCCL loaded (by its absolute path), and look it up again after a communicator is
 * destroyed: NCCL dlcloses the plugin with its last communicator. */
#ifndef CCLBENCH_TUNER_H
#define CCLBENCH_TUNER_H

#ifdef __cplusplus
extern "C" {
#endif

#define CCLBENCH_TUNER_FORCE_SYMBOL "cclbenchTunerForce"

/* What the plugin did with forcing so far (all communicators of the process together). */
typedef struct {
  unsigned long long forced;      /* getCollInfo calls where the forced pair was applied */
  unsigned long long unavailable; /* calls where NCCL had marked the forced pair unavailable */
} cclbench_tuner_counts;

/* Forces (algorithm, protocol) and, when channels > 0, the channel count on the next calls of
 * every communicator of the process for `collective` (an ncclFunc_t, 0-4; -1 for all five);
 * algorithm -1 stops forcing it (the config file's rules apply again). Forcing wins over the
 * config. Returns 0, or -1 when an argument is out of range (nothing changed). When `counts` is
 * not NULL it receives the counts (also with collective and algorithm both -2: a query only). */
typedef int (*cclbench_tuner_force_fn)(int collective, int algorithm, int protocol, int channels,
                                       cclbench_tuner_counts* counts);

#ifdef __cplusplus
}
#endif

#endif

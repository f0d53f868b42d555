// Keeps the Linux binaries loadable by the C and C++ runtimes of RHEL 8 / Debian 10 (glibc 2.28,
// libstdc++ GLIBCXX_3.4.25), the floor of the official Node 20 binaries, although they are built
// on Debian 12 (glibc 2.36, GCC 12). A symbol gets the newest version of the libraries it is linked
// against, so three references would need newer ones; the linker redirects them here
// (-Wl,--wrap=NAME in native/sources.gypi) and each is bound to its oldest version instead:
//   exp, log            GLIBC_2.29 (the same results without the SVID error wrapper; the old
//                       symbols are the wrapper, which only adds an errno check on overflow)
//   condition_variable::wait   GLIBCXX_3.4.30 (GCC 12 re-versioned it; same function)
// and one that has no older version is defined here:
//   std::__throw_bad_array_new_length   GLIBCXX_3.4.29 (GCC 11+ allocators call it)
// The dynamic symbol table of the addon is reduced to the Node-API entry points by
// native/exports.map, so none of these definitions is visible outside it. test/binary.test.ts
// reads the versions a build needs and fails above the floor.
#include <condition_variable>
#include <mutex>
#include <new>

#if defined(__GLIBC__)
#if defined(__x86_64__)
#define LOGITKIT_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define LOGITKIT_GLIBC_BASE "GLIBC_2.17"
#else
#error "add the oldest glibc symbol version of this architecture"
#endif

extern "C" {
double logitkit_exp_base(double);
double logitkit_log_base(double);
__asm__(".symver logitkit_exp_base, exp@" LOGITKIT_GLIBC_BASE);
__asm__(".symver logitkit_log_base, log@" LOGITKIT_GLIBC_BASE);
double __wrap_exp(double x) { return logitkit_exp_base(x); }
double __wrap_log(double x) { return logitkit_log_base(x); }
}
#else  // another C library (musl): nothing to pin
extern "C" {
double __real_exp(double);
double __real_log(double);
double __wrap_exp(double x) { return __real_exp(x); }
double __wrap_log(double x) { return __real_log(x); }
}
#endif

#if defined(__GLIBCXX__)
// std::condition_variable::wait(std::unique_lock<std::mutex>&), by its mangled names.
extern "C" {
void logitkit_cv_wait_base(std::condition_variable*, std::unique_lock<std::mutex>*);
__asm__(".symver logitkit_cv_wait_base, _ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE@GLIBCXX_3.4.11");
void __wrap__ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE(std::condition_variable* cv,
                                                                    std::unique_lock<std::mutex>* lock) {
  logitkit_cv_wait_base(cv, lock);
}
}

namespace std {
void __throw_bad_array_new_length() { throw std::bad_array_new_length(); }
}  // namespace std
#endif

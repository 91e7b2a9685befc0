// CSysShim: the few libc calls Swift cannot reach through its Glibc module.
//
// glibc declares getxattr in <sys/xattr.h> and pthread_setname_np only under _GNU_SOURCE,
// which the Glibc module leaves out; this header declares thin wrappers with no system
// includes beyond <stddef.h> and <sys/types.h>.

#ifndef CSYSSHIM_H
#define CSYSSHIM_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// getxattr(2): reads the extended attribute `name` of `path` (following symbolic links)
/// into `value` (`size` bytes at most; 0 asks for the size). Returns its length, or -1 with
/// `errno` set (ENODATA when the file has no such attribute).
ssize_t csys_getxattr(const char *path, const char *name, void *value, size_t size);

/// Names the calling thread (at most 15 bytes are kept, as the kernel allows); 0 or an errno.
int csys_set_thread_name(const char *name);

/// The calling thread's name into `buffer` (`size` ≥ 16); 0 or an errno.
int csys_thread_name(char *buffer, size_t size);

#ifdef __cplusplus
}
#endif

#endif

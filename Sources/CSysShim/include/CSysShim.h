// CSysShim: the few libc calls Swift cannot reach through its Glibc module.
//
// glibc declares getxattr in <sys/xattr.h>, which the Glibc module leaves out; this header
// declares a thin wrapper with no system includes beyond <stddef.h> and <sys/types.h>.

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

#ifdef __cplusplus
}
#endif

#endif

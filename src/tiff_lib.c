/*
 * tiff_lib.c — libtiff, loaded the first time a TIFF is read or written.
 *
 * libtiff brings its codecs with it: libjpeg, libwebp, libzstd, liblzma,
 * libjbig, libdeflate and, through LERC, the C++ runtime.  Linked as
 * usual, the dynamic loader maps and relocates all of them in every
 * process before main(): 0.9 ms of the command's 2.0 ms start, paid by
 * every command of a shell pipeline and twice by one that restarts
 * (cli/threads.c), though most commands read and write PNG or PSD.
 *
 * So when configure found the file name libtiff is loaded by (its
 * soname, SZ_LIBTIFF_SONAME), the library opens it with dlopen() the
 * first time it needs it, once per process, and takes the functions it
 * calls from it.  The library is never closed: its functions stay valid
 * for the life of the process.  Without a soname (a static libtiff,
 * another platform) libtiff is linked as usual and the table holds its
 * functions from the start.
 */
#include "tiff_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

bool sz_libtiff_load(const char *soname, sz_libtiff_table *table, char *why, size_t n)
{
    /* RTLD_LOCAL: libtiff's names stay out of the global namespace, where
     * another copy the host program loaded could be bound to them */
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(why, n, "%s", e ? e : "cannot be opened");
        return false;
    }
    sz_libtiff_table t;
    const char *missing = NULL;
    /* (POSIX's way to take a function from dlsym()'s object pointer) */
#define SZ_LIBTIFF_FIND(name)                                                                                     \
    *(void **)&t.name = dlsym(lib, "TIFF" #name);                                                                 \
    if (!t.name && !missing) missing = "TIFF" #name;
    SZ_LIBTIFF_FUNCTIONS(SZ_LIBTIFF_FIND)
#undef SZ_LIBTIFF_FIND
    if (missing) {
        snprintf(why, n, "%s has no %s", soname, missing);
        dlclose(lib);
        return false;
    }
    *table = t;
    return true;
}

#ifdef SZ_LIBTIFF_SONAME

sz_libtiff_table sz_libtiff;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static bool loaded;
static char load_error[256];

static void load(void)
{
    loaded = sz_libtiff_load(SZ_LIBTIFF_SONAME, &sz_libtiff, load_error, sizeof load_error);
}

sz_status sz_libtiff_open(sz_ctx *ctx)
{
    pthread_once(&load_once, load);
    if (loaded) return SZ_OK;
    return sz_fail(ctx, SZ_ERR_UNSUPPORTED, "TIFF needs libtiff (%s), which could not be loaded: %s",
                   SZ_LIBTIFF_SONAME, load_error);
}

#else

#define SZ_LIBTIFF_LINKED(name) .name = TIFF##name,
sz_libtiff_table sz_libtiff = {SZ_LIBTIFF_FUNCTIONS(SZ_LIBTIFF_LINKED)};
#undef SZ_LIBTIFF_LINKED

sz_status sz_libtiff_open(sz_ctx *ctx)
{
    return SZ_OK;
}

#endif

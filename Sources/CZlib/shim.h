#ifndef VERSIONER_CZLIB_SHIM_H
#define VERSIONER_CZLIB_SHIM_H

#include <zlib.h>

// zlib's init functions are macros that Swift cannot call; these wrappers pass the version and
// stream size the macros would.

static inline int versioner_deflateInit(z_streamp stream, int level) {
    return deflateInit(stream, level);
}

static inline int versioner_inflateInit(z_streamp stream) {
    return inflateInit(stream);
}

#endif

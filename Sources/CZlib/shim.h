#ifndef VERSIONER_CZLIB_SHIM_H
#define VERSIONER_CZLIB_SHIM_H

#include <zlib.h>

// zlib's init functions are macros that Swift cannot call; these wrappers pass the version and
// stream size the macros would.

// windowBits 15 writes a zlib stream (RFC 1950, HTTP's "deflate"); 15 + 16 writes gzip (RFC 1952).
static inline int versioner_deflateInit2(z_streamp stream, int level, int windowBits) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}

static inline int versioner_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}

#endif

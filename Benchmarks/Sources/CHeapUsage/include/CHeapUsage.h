// The allocator's own count of the bytes it has handed out and not had back (glibc's
// mallinfo2, summed over every arena; mmapped blocks included). Swift's Glibc module does not
// export <malloc.h>, hence this shim.
#pragma once
#include <stddef.h>

size_t heap_bytes_in_use(void);

#ifndef VERSIONER_CMALLOC_SHIM_H
#define VERSIONER_CMALLOC_SHIM_H

// glibc's allocator controls (mallopt, malloc_trim), which Swift's Glibc module leaves out.
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

#endif

// Symbol visibility for plugins: the kernel and plugins build with hidden visibility,
// so only what is marked here crosses a shared-object boundary.
#pragma once

#if defined(_WIN32)
#define TRADESTORE_EXPORT __declspec(dllexport)
#else
#define TRADESTORE_EXPORT __attribute__((visibility("default")))
#endif

/*
 * The table tests/guests/printf prints, one ROW(format, arguments...) a
 * line (a ROW prints its text, then " =" and printf's return value).
 * INT_ROWS use no floating point (the --ring0 run prints only those);
 * FP_ROWS do.  Formats must be valid C99 (gcc checks them in both builds).
 */
#define INT_ROWS                                                           \
    ROW("plain text, no conversion")                                       \
    ROW("%d|%i|%5d|%-5d|%05d|%+d|% d|%.3d|%.0d|%+.0d", 42, -42, 42, 42,  \
        -42, 42, 42, 7, 0, 0)                                              \
    ROW("%o|%#o|%#.0o|%5o|%-#8o|%.4o", 8u, 8u, 0u, 511u, 64u, 9u)         \
    ROW("%u|%x|%X|%#x|%#X|%#x|%08x|%-8X|%#010x", 4000000000u, 0xbeefu,   \
        0xbeefu, 255u, 255u, 0u, 0xabcu, 0xabcu, 0x1234u)                  \
    ROW("%hhd|%hhu|%hd|%hu|%hhx|%ho", 300, 300, 70000, 70000, -1, 65535) \
    ROW("%ld|%lu|%lx|%lld|%llu|%llo", LONG_MIN, ULONG_MAX, LONG_MAX,     \
        LLONG_MIN, ULLONG_MAX, ULLONG_MAX)                                 \
    ROW("%jd|%ju|%zd|%zu|%zx|%td|%tu", INTMAX_MIN, UINTMAX_MAX,          \
        (ptrdiff_t)-5, SIZE_MAX, (size_t)0xfff, PTRDIFF_MIN, (size_t)9)     \
    ROW("%*d|%-*d|%*d|%.*d|%.*d|%*.*d", 6, 1, 6, 2, -6, 3, 4, 5, -1, 6,  \
        8, 3, 7)                                                           \
    ROW("%c|%3c|%-3c|%%|%s%%", 'a', 'b', 'c', "!")                          \
    ROW("%s|%.2s|%8s|%-8s|%8.3s|%s", "hello", "hello", "hi", "hi",       \
        "abcdef", null_string)                                               \
    ROW("%.3s|%10s|%.6s", null_string, null_string, null_string)                 \
    ROW("%p|%p|%18p|%-12p|%p", (void *)0x1000, (void *)0,                \
        (void *)0xdeadbeef, (void *)0, (void *)UINTPTR_MAX)                \
    ROW("%ls|%5ls|%.2ls|%lc|%3lc", L"wide", L"ab", L"xyz",               \
        (wint_type)'w', (wint_type)'!')                                    \
    ROW("%d %s %u %x %c %ld %p", INT_MIN, "mixed", UINT_MAX, 0u, 'z',    \
        0L, (void *)1)

#define FP_ROWS                                                            \
    ROW("%f|%F|%e|%E|%g|%G|%a|%A", 1.5, -2.25, 1e10, 1e-10, 1e-5,        \
        1e15, 1.0, -0.5)                                                   \
    ROW("%.0f|%.0f|%.0f|%.1f|%.2f|%.3e|%.0e", 0.5, 1.5, 2.5, 0.25,       \
        0.125, 1.0005, 2.5)                                                \
    ROW("%.17g|%.17g|%.20e|%.30f", 0.1, 1.0 / 3, 2.0 / 3, 0.1)             \
    ROW("%f|%e|%g|%a", 1e308 * 10, -(1e308 * 10), (1e308 * 10) * 0,      \
        -((1e308 * 10) * 0))                                               \
    ROW("%F|%E|%G|%A|%+f|% e|%010f|%-10g|", 1e308 * 10, -(1e308 * 10),   \
        (1e308 * 10) * 0, 1e308 * 10, 1e308 * 10, (1e308 * 10) * 0,        \
        -(1e308 * 10), 1e308 * 10)                                         \
    ROW("%f|%e|%g|%a", -0.0, -0.0, -0.0, -0.0)                             \
    ROW("%+.3f|% .3f|%08.3f|%-8.3f|%#.0f|%#.0e|%#g|%#.3g", 3.14159,      \
        3.14159, -3.14159, 3.14159, 3.0, 3.0, 1.0, 100.0)                  \
    ROW("%g|%g|%g|%g|%g|%g|%g", 100000.0, 1000000.0, 0.0001, 0.00001,    \
        123456789.0, 9.9999995, 0.000123456)                               \
    ROW("%e|%.0e|%g", DBL_MAX, DBL_MIN, DBL_TRUE_MIN)                      \
    ROW("%.1074f", DBL_TRUE_MIN)                                           \
    ROW("%f", DBL_MAX)                                                     \
    ROW("%.3a|%.0a|%.1a|%#a|%20a|%-20.2A|%020a", 1.0 / 3, 1.5, 1.96875,  \
        1.0, 0.1, 0.1, -0.1)                                               \
    ROW("%Lf|%Le|%Lg|%La|%LA", 0.1L, 1e4000L, 1e-4000L, 1.0L, -3.0L)       \
    ROW("%.25Le|%.0Lf|%.3Lg|%.5La", LDBL_MAX, 2.5L, LDBL_MIN,            \
        LDBL_TRUE_MIN)                                                     \
    ROW("%*.*f|%-*.*e|%.*g", 12, 3, 2.71828, 14, 2, 2.71828, -1, 2.71828)  \
    ROW("%d %.2f %s %e %c %Lg %x", 7, 0.125, "with", 1.0, '!', 1e-3L, 255u)

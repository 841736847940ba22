/* fpmath: floating-point results through libm and printf: the outputs
 * are exact decimal renderings, so a guest that mishandles the FPU/SSE
 * state or printf's conversions prints something different. */
#include <math.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    volatile double two = 2.0;   /* keep the compiler from folding */
    double sum = 0.0;

    printf("sqrt(2)     = %.17g\n", sqrt(two));
    printf("sin(1)      = %.17g\n", sin(two / 2));
    printf("cos(pi/3)   = %.17g\n", cos(M_PI / 3 * (two / 2)));
    printf("exp(1)      = %.17g\n", exp(two / 2));
    printf("log(10)     = %.17g\n", log(5 * two));
    printf("pow(2,0.5)  = %g\n", pow(two, 0.5));
    printf("atan2(1,1)  = %.10f\n", atan2(two / 2, two / 2));
    printf("1/3         = %g %e %.3f %a\n", 1 / (3 * two / 2),
           1 / (3 * two / 2), 1 / (3 * two / 2), 1 / (3 * two / 2));
    printf("large       = %g %.0f\n", 1e300 * two, ldexp(two, 70));
    printf("tiny        = %g\n", 5e-324 * two);
    printf("specials    = %g %g %g\n", INFINITY * two, -INFINITY * two,
           NAN * two);
    printf("float       = %.9g\n", (double)sqrtf((float)two));
    for (int i = 1; i <= 1000; i++)
        sum += 1.0 / ((double)i * i);
    printf("sum 1/i^2   = %.15f (pi^2/6 = %.15f)\n", sum, M_PI * M_PI / 6);
    printf("argc        = %d, %s\n", argc, argc > 1 ? argv[1] : "(no args)");
    return 0;
}

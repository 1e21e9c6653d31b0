/* shardsim.c - command-line entry point (placeholder until the run path lands). */
#include <stdio.h>
int main(void) { puts("shardsim " SS_VERSION); return 0; }

/* main.c - the docbin command line (being written). */
#include "docbin.h"
#include <stdio.h>
int main(void) { printf("docbin %s\n", db_version()); return 0; }

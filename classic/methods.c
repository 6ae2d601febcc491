/* methods.c - the table of classic methods: the menu of classic/. A new
 * method adds its db_method_info here and nowhere else. */
#include "classic.h"

static const db_method_info *const table[] = {
    &db_otsu_method,
};

int db_classic_method_count(void) { return (int)(sizeof table / sizeof table[0]); }
const db_method_info *db_classic_method_at(int index)
{
    return index >= 0 && index < db_classic_method_count() ? table[index] : 0;
}

/* methods.c - the table of classic methods: the menu of classic/. A new
 * method adds its db_method_info here and nowhere else. */
#include "classic.h"

static const db_method_info *const table[] = {
    &db_otsu_method,
    &db_kittler_method,
    &db_kapur_method,
    &db_threshold_method,
    /* local window (winstat.c) */
    &db_niblack_method,
    &db_sauvola_method,
    &db_wolf_method,
    &db_nick_method,
    &db_bradley_method,
    &db_phansalkar_method,
    &db_bernsen_method,
    &db_trsingh_method,
    &db_wan_method,
    &db_isauvola_method,
    &db_adotsu_method,
    &db_bataineh_method,
    /* document-specific */
    &db_gatos_method,
    &db_su_method,
    &db_su2013_method,
    &db_howe_method,
};

int db_classic_method_count(void) { return (int)(sizeof table / sizeof table[0]); }
const db_method_info *db_classic_method_at(int index)
{
    return index >= 0 && index < db_classic_method_count() ? table[index] : 0;
}

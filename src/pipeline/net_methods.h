/* net_methods.h - the network methods' registry entries (net_methods.c),
 * listed by method.c after the classic ones. Internal to src/pipeline/. */
#ifndef DB_PIPELINE_NET_METHODS_H
#define DB_PIPELINE_NET_METHODS_H

#include "docbin.h"

int db_net_method_count(void);
const db_method_info *db_net_method_at(int index);

#endif

/* regions.h - Azure region ids (ARM's location, FOCUS RegionId) and their
 * display names (FOCUS RegionName), for the chargeback. */
#ifndef TIERLEDGER_REPORTS_REGIONS_H
#define TIERLEDGER_REPORTS_REGIONS_H

/* The display name of region id (any case), e.g. "westeurope" -> "West
 * Europe"; NULL for an id not in the table. */
const char *report_region_name(const char *region_id);

#endif

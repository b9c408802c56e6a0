/* regions.c - see regions.h. The public, government and China clouds'
 * regions as ARM names them; a region added later is not in the table and
 * the chargeback then repeats its id as the name. */
#include "reports/regions.h"

#include <stddef.h>
#include <strings.h>

static const char *const regions[][2] = {
    {"australiacentral", "Australia Central"},
    {"australiacentral2", "Australia Central 2"},
    {"australiaeast", "Australia East"},
    {"australiasoutheast", "Australia Southeast"},
    {"austriaeast", "Austria East"},
    {"belgiumcentral", "Belgium Central"},
    {"brazilsouth", "Brazil South"},
    {"brazilsoutheast", "Brazil Southeast"},
    {"canadacentral", "Canada Central"},
    {"canadaeast", "Canada East"},
    {"centralindia", "Central India"},
    {"centralus", "Central US"},
    {"chilecentral", "Chile Central"},
    {"chinaeast", "China East"},
    {"chinaeast2", "China East 2"},
    {"chinaeast3", "China East 3"},
    {"chinanorth", "China North"},
    {"chinanorth2", "China North 2"},
    {"chinanorth3", "China North 3"},
    {"denmarkeast", "Denmark East"},
    {"eastasia", "East Asia"},
    {"eastus", "East US"},
    {"eastus2", "East US 2"},
    {"francecentral", "France Central"},
    {"francesouth", "France South"},
    {"germanynorth", "Germany North"},
    {"germanywestcentral", "Germany West Central"},
    {"indonesiacentral", "Indonesia Central"},
    {"israelcentral", "Israel Central"},
    {"italynorth", "Italy North"},
    {"japaneast", "Japan East"},
    {"japanwest", "Japan West"},
    {"jioindiacentral", "Jio India Central"},
    {"jioindiawest", "Jio India West"},
    {"koreacentral", "Korea Central"},
    {"koreasouth", "Korea South"},
    {"malaysiawest", "Malaysia West"},
    {"mexicocentral", "Mexico Central"},
    {"newzealandnorth", "New Zealand North"},
    {"northcentralus", "North Central US"},
    {"northeurope", "North Europe"},
    {"norwayeast", "Norway East"},
    {"norwaywest", "Norway West"},
    {"polandcentral", "Poland Central"},
    {"qatarcentral", "Qatar Central"},
    {"southafricanorth", "South Africa North"},
    {"southafricawest", "South Africa West"},
    {"southcentralus", "South Central US"},
    {"southeastasia", "Southeast Asia"},
    {"southindia", "South India"},
    {"spaincentral", "Spain Central"},
    {"swedencentral", "Sweden Central"},
    {"swedensouth", "Sweden South"},
    {"switzerlandnorth", "Switzerland North"},
    {"switzerlandwest", "Switzerland West"},
    {"uaecentral", "UAE Central"},
    {"uaenorth", "UAE North"},
    {"uksouth", "UK South"},
    {"ukwest", "UK West"},
    {"usdodcentral", "USDoD Central"},
    {"usdodeast", "USDoD East"},
    {"usgovarizona", "USGov Arizona"},
    {"usgovtexas", "USGov Texas"},
    {"usgovvirginia", "USGov Virginia"},
    {"westcentralus", "West Central US"},
    {"westeurope", "West Europe"},
    {"westindia", "West India"},
    {"westus", "West US"},
    {"westus2", "West US 2"},
    {"westus3", "West US 3"},
};

const char *report_region_name(const char *region_id)
{
    if (!region_id)
        return NULL;
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
        if (strcasecmp(regions[i][0], region_id) == 0)
            return regions[i][1];
    return NULL;
}
